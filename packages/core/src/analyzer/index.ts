export * from "./settings.ts";
export * from "./types.ts";
export * from "./series.ts";
export * from "./analyze.ts";
export * from "./trust.ts";
export * from "./proposal-identity.ts";
export * from "./load-forecast-schema.ts";
export * from "./load-forecast.ts";

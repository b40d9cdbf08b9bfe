export * from "./calendar.ts";
export * from "./popularity.ts";
export * from "./activity.ts";
export * from "./correlation.ts";
export * from "./hints.ts";
export * from "./covariates.ts";

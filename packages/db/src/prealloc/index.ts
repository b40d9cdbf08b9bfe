export * from "./settings.ts";
export * from "./records.ts";

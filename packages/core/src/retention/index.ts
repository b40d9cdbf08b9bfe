export * from "./settings.ts";
export * from "./partitions.ts";

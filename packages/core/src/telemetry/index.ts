export * from "./space-saving.ts";
export * from "./buckets.ts";
export * from "./records.ts";

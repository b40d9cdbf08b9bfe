export * from "./catalog.ts";
export * from "./queue.ts";
export * from "./processors.ts";

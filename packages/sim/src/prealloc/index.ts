export * from "./simulate.ts";
export * from "./compare.ts";

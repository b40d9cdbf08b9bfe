export * from "./phases.ts";

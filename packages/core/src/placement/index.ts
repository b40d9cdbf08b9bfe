export * from "./types.ts";
export * from "./settings.ts";
export * from "./window.ts";
export * from "./rebalance.ts";
export * from "./drain.ts";
export * from "./manual.ts";
export * from "./outlook.ts";
export * from "./stale.ts";

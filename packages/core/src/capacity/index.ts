export * from "./settings.ts";
export * from "./plan.ts";
export * from "./trough.ts";
export * from "./copy-speed.ts";
export * from "./hybrid.ts";
export * from "./measured.ts";

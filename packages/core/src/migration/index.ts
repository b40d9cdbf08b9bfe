export * from "./phases.ts";
export * from "./settings.ts";
export * from "./pace.ts";
export * from "./proposal.ts";

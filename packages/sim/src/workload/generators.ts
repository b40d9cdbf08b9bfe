/** The synthetic workloads, one file per generator family; this module gathers them. */
export { DAY_MS, GENERATOR_DEFAULTS, GENERATOR_DESCRIPTIONS, HOUR_MS, periodOf, type DiurnalParams, type GeneratorBase, type GeneratorName } from "./generator-common.ts";
export { diurnalWorkload, flatWorkload, zipfDriftWorkload, type DriftParams } from "./cyclic-generators.ts";
export { flashCrowdWorkload, type FlashCrowdParams } from "./flash-crowd-generator.ts";
export { rampWorkload, type RampParams } from "./ramp-generator.ts";
export { tenantsWorkload, type TenantParams } from "./tenants-generator.ts";

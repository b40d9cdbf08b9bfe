/**
 * Environment every Vitest suite with real servers runs under (each config passes it as `env`;
 * processes the tests start inherit it).
 */
export const TEST_ENV: Record<string, string> = {
  // scrypt at N = 2^14 (16 MiB, some 40 ms) instead of the product's 2^17: the suites hash and check
  // hundreds of passwords while every workspace shares two cores. The default cost has its own test.
  SHARDCAST_PASSWORD_HASH_COST: "14",
};

import { z } from "zod";

/** log2 of scrypt's N for new password hashes: 2^17 takes 128 MiB and about 0.35 s of a core. */
export const DEFAULT_PASSWORD_HASH_COST = 17;

/** `SHARDCAST_PASSWORD_HASH_COST`: 14 (16 MiB) is the least that still costs a guesser real work. */
export const passwordHashCostSchema = z.coerce
  .number({ error: "SHARDCAST_PASSWORD_HASH_COST must be a number" })
  .int("SHARDCAST_PASSWORD_HASH_COST must be a whole number")
  .min(14, "SHARDCAST_PASSWORD_HASH_COST must be at least 14")
  .max(20, "SHARDCAST_PASSWORD_HASH_COST must be at most 20");

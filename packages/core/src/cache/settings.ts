import { z } from "zod";
import { correlateFieldsSchema } from "./field-values.ts";

/**
 * Read cache and prefetch settings, stored under `readCache` in the control database's settings
 * (edited on the console's Settings page, audited). The correlation job reads them each run and
 * publishes the threshold with its map, so edges follow a change within seconds.
 */
export const readCacheSettingsSchema = z.strictObject({
  /** Learn correlations and prefetch (the cache itself is sized per edge and stays on). */
  prefetchEnabled: z.boolean().default(true),
  /**
   * A shardlet is prefetched when an event announces its read with at least this probability.
   * Lower: more bytes fetched that nobody reads, and hits only while the cache has room for them
   * (the cache benchmark shows the trade). 0.5, not 0.3: on seeds the benchmark does not report,
   * the hits were the same and a tenth fewer prefetched bytes went unread, since the cache refuses
   * or soon evicts the weaker predictions anyway.
   */
  prefetchThreshold: z.number().min(0.01, "prefetch threshold must be at least 0.01").max(1, "prefetch threshold must be at most 1").default(0.5),
  /** A type must make the read at least this much likelier than it is anyway (no prefetch on mere busy shardlets). */
  minLift: z.number().min(1, "minimum lift must be at least 1").max(100, "minimum lift must be at most 100").default(1.5),
  /** Shardlets kept per event type in the map. */
  topPerType: z.number().int().min(1, "keep at least 1 shardlet per type").max(100, "keep at most 100 shardlets per type").default(8),
  /**
   * Payload fields (dotted paths) whose values are correlated with reads besides the event type,
   * e.g. `user` or `geo.region`: reads of one user's or region's data often follow that user's or
   * region's events whatever their type. Empty: types only, as before.
   */
  correlateFields: correlateFieldsSchema.default([]),
});

export type ReadCacheSettings = z.infer<typeof readCacheSettingsSchema>;

export const READ_CACHE_SETTINGS_KEY = "readCache";

export function parseReadCacheSettings(stored: unknown): ReadCacheSettings {
  return readCacheSettingsSchema.parse(stored ?? {});
}

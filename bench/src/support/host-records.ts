import { createRng, keyHash } from "@shardcast/core";
import type { HostDriver } from "@shardcast/db";

const CHUNK = 2_000;

/**
 * Writes `events` small JSON records (positions 1 to `events`, 5,000 keys) to one shardlet of a
 * host, fenced as `active` over the whole hash space at epoch 1: a shardlet's rows for the suites
 * that time reads of them, the same records for a seed each time.
 */
export async function writeRecords(driver: HostDriver, w: { streamId: string; shardletId: string; events: number; seed: string }): Promise<void> {
  await driver.setFence(w.shardletId, w.streamId, 1, "active", { lo: 0, hi: 2 ** 32 });
  const rng = createRng(w.seed);
  for (let i = 0; i < w.events; i += CHUNK) {
    const part = Array.from({ length: Math.min(CHUNK, w.events - i) }, (_, j) => {
      const n = i + j;
      const key = `key-${rng.int(5_000)}`;
      const payloadJson = JSON.stringify({ user: `u-${rng.int(50_000)}`, amount: rng.int(100_000) / 100, n });
      return { seq: n + 1, key, keyHash: keyHash(key), id: `e-${n}`, type: "t", ts: 1_700_000_000_000 + n, payloadJson, sizeBytes: payloadJson.length + key.length };
    });
    await driver.fencedWrite({ streamId: w.streamId, shardletId: w.shardletId, epoch: 1, events: part });
  }
}

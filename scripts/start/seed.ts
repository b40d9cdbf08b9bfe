import {
  countUsers,
  createApiKey,
  createStream,
  createUser,
  getSettings,
  getStreamByName,
  listApiKeys,
  listHosts,
  registerHost,
  revokeApiKey,
  updateAnalyzerSettings,
  updateSetting,
  updateLifecycleSettings,
  updatePreallocSettings,
  type ControlDb,
  type HostPool,
} from "@shardcast/db";
import {
  ANALYZER_SETTINGS_KEY,
  CONSUMER_SETTINGS_KEY,
  LIFECYCLE_SETTINGS_KEY,
  PREALLOC_SETTINGS_KEY,
  PLACEMENT_SETTINGS_KEY,
  PROFILER_SETTINGS_KEY,
  type AnalyzerSettings,
  type ConsumerSettings,
  type PlacementSettings,
  type PreallocSettings,
  type LifecycleSettings,
  type ProfilerSettings,
} from "@shardcast/core";
import { DEMO_LEDGER_LAYOUT, DEMO_LEDGER_STREAM } from "../demo-ledger.ts";
import { inheritedEnv, type StartConfig } from "../env.ts";
import { demoStreamFrom } from "./demo-stream.ts";

const DEMO_KEY_NAME = "demo-producer";
const MIB = 1024 * 1024;

/**
 * The demo cluster's lifecycle thresholds, set once when the demo stream is created (and only if
 * nobody stored lifecycle settings before). At the product defaults a 200 events/s demo never
 * crosses a threshold; scaled to the demo's load, its compressed day splits shardlets in the
 * afternoon peak and merges them at night, every ten minutes. Large shardlets keep size out of
 * the picture, so the splits and merges follow the load.
 */
const DEMO_LIFECYCLE: Partial<LifecycleSettings> = {
  initialCapacityBytes: 256 * MIB,
  splitWriteRate: 45,
  mergeWriteRate: 12,
  maxShardletsPerStream: 48,
};

/**
 * The demo's analyzer series: 10 s steps, a season of 60 of them (the demo producer's ten-minute
 * day), 30 minutes (three days) of history and a 300 s (half a day) horizon. The product defaults
 * are hourly steps, a 24-step day and three weeks of history, so the daily and weekly models
 * qualify on real load; on those the demo would forecast nothing for hours, and its day would be
 * noise inside one step. These were the defaults before, so the demo forecasts as it always did.
 */
export const DEMO_ANALYZER = {
  bucketSec: 10,
  period: 60,
  historySteps: 180,
  horizonSec: 300,
} as const satisfies Partial<AnalyzerSettings>;

/**
 * The demo's checkpoint settings, set with the demo stream (if none were stored). The demo
 * consumers spend about 2 ms an event on a few dozen events/s per shardlet: at the product's 30 s
 * threshold a checkpoint would take hours to become worth it; at 3 s predicted replay a busy
 * shardlet is checkpointed about every minute and a flash crowd several times a minute, while a
 * quiet one waits, which is what the console's checkpoint history should show.
 */
const DEMO_CONSUMERS: Partial<ConsumerSettings> = {
  checkpointThresholdSec: 3,
  predictionHorizonSec: 30,
  maxReplaySec: 15,
};

/**
 * The demo's profiler settings: the demo producer's payloads carry a region and a device per user
 * and amounts and prices on checkouts and carts, so those are its key fields. A fifth of the events
 * are sampled (the product default is 5 %) so the profile fills within a minute at demo rates.
 */
const demoProfiler = (stream: string): Partial<ProfilerSettings> => ({
  sampleRate: 0.2,
  streams: { [stream]: { keyFields: ["region", "device", "amount", "price"] } },
});

/**
 * Pre-allocation on in the demo (the product default is 0, off): the demo producer sends
 * precursor events before some of its flash crowds, and false alarms, so within minutes the
 * Operations page shows shardlets prepared ahead, used or merged back.
 */
const DEMO_PREALLOC: Partial<PreallocSettings> = { aggressiveness: 0.5 };

/**
 * The demo's cold archive: payloads older than three minutes (the product default is six hours)
 * once a shardlet holds 128 KiB of them, so within about five minutes of a start the placement
 * bandit archives the demo's shardlets and the Cache page shows the bytes saved and its rewards.
 * Shardlets its consumer groups read at 20 events/s or more are hot (the product default is 200),
 * so the bandit tries read replicas on the demo's small traffic too (at most two, on a laptop).
 */
const DEMO_PLACEMENT: Partial<PlacementSettings> = { archiveAfterSec: 180, minArchiveBytes: 128 * 1024, replicaMinReadsPerSec: 20, maxReplicas: 2 };

/**
 * First-start state: the admin (when given by env), the storage hosts, the demo stream and a fresh
 * key for the demo producer. Every step checks what exists, so a second start reuses the data.
 */
export async function seed(
  db: ControlDb,
  hosts: HostPool,
  cfg: StartConfig,
  hostDsns: string[],
  say: (line: string) => void,
  /** Default: `SHARDCAST_DEMO_STREAM`, which the demo producer and consumers inherit. */
  stream?: string,
): Promise<{ demoToken: string | null; adminSeeded: boolean; demoStream: string | null }> {
  let adminSeeded = false;
  if ((await countUsers(db)) === 0 && cfg.SHARDCAST_ADMIN_EMAIL && cfg.SHARDCAST_ADMIN_PASSWORD) {
    await createUser(db, { email: cfg.SHARDCAST_ADMIN_EMAIL, name: "Administrator", password: cfg.SHARDCAST_ADMIN_PASSWORD, role: "admin" });
    adminSeeded = true;
    say(`created admin ${cfg.SHARDCAST_ADMIN_EMAIL}`);
  }
  const existing = await listHosts(db);
  if (existing.length === 0) {
    for (const [i, dsn] of hostDsns.entries()) {
      await registerHost(db, { name: `host-${i + 1}`, dsn });
      say(`registered storage host host-${i + 1} (${i + 1}/${hostDsns.length})`);
    }
  }
  if (cfg.SHARDCAST_DEMO === "off") return { demoToken: null, adminSeeded, demoStream: null };
  const demoStream = stream ?? demoStreamFrom(inheritedEnv());
  if (!(await getStreamByName(db, demoStream))) {
    await createStream(db, hosts, {
      name: demoStream,
      shardCount: 4,
      shardletsPerShard: 2,
      keyField: "user",
      capacityBytes: DEMO_LIFECYCLE.initialCapacityBytes,
    });
    say(`created stream "${demoStream}" (4 shards x 2 shardlets)`);
  }
  // Every start, not only the one that creates the demo stream: a data directory from before a
  // demo setting existed would otherwise run that part of the demo at the product defaults (at the
  // default 200 events/s of reads no demo shardlet is ever hot, so no replica is ever tried). A
  // setting stored once, by the demo or on the Settings page, is kept.
  if ((await getSettings(db))[LIFECYCLE_SETTINGS_KEY] === undefined) {
    await updateLifecycleSettings(db, DEMO_LIFECYCLE, null);
    say(
      `demo lifecycle thresholds: split above ${DEMO_LIFECYCLE.splitWriteRate} events/s, merge below ${DEMO_LIFECYCLE.mergeWriteRate} events/s ` +
        "(change them on the Settings page)",
    );
  }
  if ((await getSettings(db))[ANALYZER_SETTINGS_KEY] === undefined) {
    await updateAnalyzerSettings(db, DEMO_ANALYZER, null);
    say(
      `demo analyzer: ${DEMO_ANALYZER.bucketSec} s steps, a ${DEMO_ANALYZER.period}-step day, ${DEMO_ANALYZER.historySteps} steps of history ` +
        "(the product default is hourly steps over three weeks; change them on the Heatmap page)",
    );
  }
  if ((await getSettings(db))[CONSUMER_SETTINGS_KEY] === undefined) {
    await updateSetting(db, CONSUMER_SETTINGS_KEY, DEMO_CONSUMERS, null);
    say(`demo checkpoint settings: checkpoint at ${DEMO_CONSUMERS.checkpointThresholdSec} s of predicted replay (change them on the Settings page)`);
  }
  if ((await getSettings(db))[PROFILER_SETTINGS_KEY] === undefined) {
    const profiler = demoProfiler(demoStream);
    await updateSetting(db, PROFILER_SETTINGS_KEY, profiler, null);
    say(`demo profiler: key fields ${profiler.streams![demoStream]!.keyFields.join(", ")} at a ${profiler.sampleRate! * 100}% sample (change them on the Settings page)`);
  }
  if ((await getSettings(db))[PREALLOC_SETTINGS_KEY] === undefined) {
    // The demo producer announces some of its flash crowds: with pre-allocation on, the demo
    // shows shardlets prepared before the crowd, and the false alarms merged back.
    await updatePreallocSettings(db, DEMO_PREALLOC, null);
    say(`demo pre-allocation: aggressiveness ${DEMO_PREALLOC.aggressiveness} (0 turns it off; change it on the Settings page)`);
  }
  if ((await getSettings(db))[PLACEMENT_SETTINGS_KEY] === undefined) {
    await updateSetting(db, PLACEMENT_SETTINGS_KEY, DEMO_PLACEMENT, null);
    say(`demo cold archive: payloads older than ${DEMO_PLACEMENT.archiveAfterSec} s may be archived (change it on the Settings page)`);
  }
  // Its own step, so a data directory from before the ledger stream existed gets it too.
  if (!(await getStreamByName(db, DEMO_LEDGER_STREAM))) {
    await createStream(db, hosts, { name: DEMO_LEDGER_STREAM, ...DEMO_LEDGER_LAYOUT, keyField: "tenant", capacityBytes: DEMO_LIFECYCLE.initialCapacityBytes });
    say(`created stream "${DEMO_LEDGER_STREAM}" (read only by the demo reporter, so its reads show what the prefetcher cached)`);
  }
  // The demo producer's key lives only in its process environment; old ones are revoked.
  for (const key of await listApiKeys(db)) {
    if (key.name === DEMO_KEY_NAME && !key.revokedAt) await revokeApiKey(db, key.id);
  }
  const key = await createApiKey(db, { name: DEMO_KEY_NAME, streams: [demoStream, DEMO_LEDGER_STREAM], canProduce: true, canConsume: true, createdById: null });
  return { demoToken: key.token, adminSeeded, demoStream };
}

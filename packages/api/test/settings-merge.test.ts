import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ANALYZER_SETTINGS_KEY,
  CAPACITY_SETTINGS_KEY,
  CONSUMER_SETTINGS_KEY,
  LIFECYCLE_SETTINGS_KEY,
  MIGRATION_SETTINGS_KEY,
  PLACEMENT_SETTINGS_KEY,
  PREALLOC_SETTINGS_KEY,
  PROFILER_SETTINGS_KEY,
  READ_CACHE_SETTINGS_KEY,
  REBALANCE_SETTINGS_KEY,
} from "@shardcast/core";
import { getSettings } from "@shardcast/db";
import { startHarness, type Harness } from "./harness.ts";

type Values = Record<string, unknown>;
type Answer = Record<string, unknown>;

/** One settings procedure pair, described so every case below runs against each of them. */
interface Kind {
  name: string;
  query: string;
  mutation: string;
  /** The settings key they are stored under. */
  key: string;
  /** The settings in the query's or the mutation's answer, and the defaults in the query's. */
  read(answer: Answer): Values;
  defaults(answer: Answer): Values;
  /** The mutation's input for a (partial) value of these settings. */
  wrap(value: Values): Values;
  /** How `changed` names a field. */
  changedName(field: string): string;
  /** Non-default values stored first (by a whole-form save, as the console sends)... */
  baseline: Values;
  /** ...which a partial update of another field must keep. */
  change: { field: string; to: unknown };
  /** A partial value that breaks a cross-field rule only against the baseline (not the defaults), and the field named. */
  breaking: { value: Values; path: string; message: RegExp };
  /** Two partial updates of different fields, sent at once. */
  concurrent: [Values, Values];
}

const KINDS: Kind[] = [
  {
    name: "lifecycle",
    query: "settings.get",
    mutation: "settings.update",
    key: LIFECYCLE_SETTINGS_KEY,
    read: (a) => a.lifecycle as Values,
    defaults: (a) => a.defaults as Values,
    wrap: (v) => v,
    changedName: (f) => f,
    baseline: { splitWriteRate: 1_000, splitThreshold: 0.7, enabled: false },
    change: { field: "maxShardletsPerStream", to: 512 },
    // 600 x 2 passes the stored 1000, not the default 5000.
    breaking: { value: { mergeWriteRate: 600 }, path: "mergeWriteRate", message: /^mergeWriteRate: merge write rate must be less than half the split write rate/ },
    concurrent: [{ minShardletWidth: 1_024 }, { mergeThreshold: 0.15 }],
  },
  {
    name: "rebalance (migrations)",
    query: "migrations.settings",
    mutation: "migrations.updateSettings",
    key: REBALANCE_SETTINGS_KEY,
    read: (a) => a.rebalance as Values,
    defaults: (a) => (a.defaults as { rebalance: Values }).rebalance,
    wrap: (v) => ({ rebalance: v }),
    changedName: (f) => `rebalance.${f}`,
    baseline: { tolerance: 0.5, hysteresis: 0.4, autoApprove: true },
    change: { field: "maxProposalsPerRun", to: 9 },
    // Below the stored hysteresis 0.4, above the default 0.1.
    breaking: { value: { tolerance: 0.3 }, path: "rebalance.hysteresis", message: /^rebalance\.hysteresis: hysteresis must be smaller than the tolerance/ },
    concurrent: [{ minHostLoad: 42 }, { cooldownSec: 120 }],
  },
  {
    name: "capacity",
    query: "capacity.settings",
    mutation: "capacity.updateSettings",
    key: CAPACITY_SETTINGS_KEY,
    read: (a) => a.settings as Values,
    defaults: (a) => a.defaults as Values,
    wrap: (v) => v,
    changedName: (f) => f,
    baseline: { targetUtilization: 0.9, scaleInUtilization: 0.85, mode: "act" },
    change: { field: "maxHosts", to: 12 },
    // Below the stored scale-in 0.85, above the default 0.65.
    breaking: { value: { targetUtilization: 0.8 }, path: "scaleInUtilization", message: /^scaleInUtilization: scale-in utilisation must not exceed the target/ },
    concurrent: [{ provisionSec: 600 }, { marginSec: 60 }],
  },
  {
    name: "consumers",
    query: "consumers.settings",
    mutation: "consumers.updateSettings",
    key: CONSUMER_SETTINGS_KEY,
    read: (a) => a.settings as Values,
    defaults: (a) => a.defaults as Values,
    wrap: (v) => v,
    changedName: (f) => f,
    baseline: { checkpointMode: "fixed", maxReplaySec: 40, checkpointThresholdSec: 20 },
    change: { field: "sessionTimeoutMs", to: 20_000 },
    // Above the stored maximum replay 40, below the default 120.
    breaking: { value: { checkpointThresholdSec: 60 }, path: "maxReplaySec", message: /^maxReplaySec: maximum replay must be at least the checkpoint threshold/ },
    concurrent: [{ fixedIntervalSec: 12 }, { handoffTimeoutMs: 1_500 }],
  },
];

/**
 * A settings update is a merge: the fields given overlay the stored settings and the merged whole
 * is checked, so a script sending one field changes that field only (before, every field it left
 * out was reset to its default).
 */
describe("partial settings updates", () => {
  let h: Harness;
  let admin: string;

  beforeAll(async () => {
    h = await startHarness({ hosts: 1 });
    admin = await h.sessionFor("admin");
  });
  afterAll(async () => {
    await h.close();
  });

  async function current(k: Kind): Promise<{ settings: Values; defaults: Values }> {
    const res = await h.call<Answer>("query", k.query, undefined, admin);
    expect(res.status, k.name).toBe(200);
    return { settings: k.read(res.data!), defaults: k.defaults(res.data!) };
  }

  /** Stores the defaults with the kind's baseline over them, the way the console's form saves. */
  async function storeBaseline(k: Kind): Promise<Values> {
    const { defaults } = await current(k);
    const whole = { ...defaults, ...k.baseline };
    const res = await h.call("mutation", k.mutation, k.wrap(whole), admin);
    expect(res.status, `${k.name}: ${JSON.stringify(res.error)}`).toBe(200);
    expect((await current(k)).settings).toEqual(whole);
    return whole;
  }

  const auditRows = (k: Kind) => h.db.settingAudit.count({ where: { key: k.key } });

  describe.each(KINDS)("$name", (k) => {
    it("changes only the field given and keeps the others, non-default ones included", async () => {
      const before = await storeBaseline(k);
      const res = await h.call<Answer & { changed: string[] }>("mutation", k.mutation, k.wrap({ [k.change.field]: k.change.to }), admin);
      expect(res.status, JSON.stringify(res.error)).toBe(200);
      expect(res.data!.changed).toEqual([k.changedName(k.change.field)]);
      const expected = { ...before, [k.change.field]: k.change.to };
      expect(k.read(res.data!)).toEqual(expected);
      expect((await current(k)).settings).toEqual(expected);
      expect((await getSettings(h.db))[k.key]).toEqual(expected);
    });

    it("refuses a partial value that breaks a cross-field rule against the stored values, naming the field, and stores nothing", async () => {
      await storeBaseline(k);
      const stored = (await getSettings(h.db))[k.key];
      const rows = await auditRows(k);
      const res = await h.call("mutation", k.mutation, k.wrap(k.breaking.value), admin);
      expect(res.status).toBe(400);
      expect(res.error?.data.code).toBe("BAD_REQUEST");
      expect(res.error?.data.scCode).toBe("validation_failed");
      expect(res.error?.data.details?.rejected).toEqual([{ index: 0, path: k.breaking.path, message: expect.stringMatching(k.breaking.message) as string }]);
      expect((await getSettings(h.db))[k.key]).toEqual(stored);
      expect(await auditRows(k)).toBe(rows);
    });

    it("refuses an unknown field with a 400 naming it, and stores nothing", async () => {
      await storeBaseline(k);
      const stored = (await getSettings(h.db))[k.key];
      const rows = await auditRows(k);
      const res = await h.call("mutation", k.mutation, k.wrap({ [k.change.field]: k.change.to, splitWriteRat: 500 }), admin);
      expect(res.status).toBe(400);
      expect(res.error?.data.scCode).toBe("validation_failed");
      expect(res.error?.message).toContain("splitWriteRat");
      expect((await getSettings(h.db))[k.key]).toEqual(stored);
      expect(await auditRows(k)).toBe(rows);
    });

    it("answers the current settings for an empty object and changes nothing", async () => {
      const before = await storeBaseline(k);
      const stored = (await getSettings(h.db))[k.key];
      const rows = await auditRows(k);
      for (const empty of [{}, k.wrap({})]) {
        const res = await h.call<Answer & { changed: string[] }>("mutation", k.mutation, empty, admin);
        expect(res.status, JSON.stringify(res.error)).toBe(200);
        expect(res.data!.changed).toEqual([]);
        expect(k.read(res.data!)).toEqual(before);
      }
      expect((await getSettings(h.db))[k.key]).toEqual(stored);
      expect(await auditRows(k)).toBe(rows);
    });

    it("keeps both of two concurrent partial updates of different fields", async () => {
      const before = await storeBaseline(k);
      const [a, b] = k.concurrent;
      // Several rounds, so an unlocked read-merge-write would be caught losing one.
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all([h.call("mutation", k.mutation, k.wrap(a), admin), h.call("mutation", k.mutation, k.wrap(b), admin)]);
        expect(results.map((r) => r.status)).toEqual([200, 200]);
        expect((await current(k)).settings).toEqual({ ...before, ...a, ...b });
        // Put both back, so the next round changes them again.
        expect((await h.call("mutation", k.mutation, k.wrap(before), admin)).status).toBe(200);
      }
    });
  });

  it("leaves the other half of the move settings alone when one half is given, and refuses an unknown half", async () => {
    const rebalance = await storeBaseline(KINDS[1]!);
    const defaults = ((await h.call<Answer>("query", "migrations.settings", undefined, admin)).data!.defaults as { migration: Values }).migration;
    expect((await h.call("mutation", "migrations.updateSettings", { migration: { ...defaults, chunkRows: 500 } }, admin)).status).toBe(200);
    const res = await h.call<Answer & { changed: string[] }>("mutation", "migrations.updateSettings", { migration: { rowsPerSecond: 777 } }, admin);
    expect(res.status, JSON.stringify(res.error)).toBe(200);
    expect(res.data!.changed).toEqual(["migration.rowsPerSecond"]);
    expect(res.data!.rebalance).toEqual(rebalance);
    expect(res.data!.migration).toEqual({ ...defaults, chunkRows: 500, rowsPerSecond: 777 });
    expect((await getSettings(h.db))[MIGRATION_SETTINGS_KEY]).toEqual({ ...defaults, chunkRows: 500, rowsPerSecond: 777 });

    const rows = await h.db.settingAudit.count();
    const typo = await h.call("mutation", "migrations.updateSettings", { rebalance: { tolerance: 0.6 }, migrations: { rowsPerSecond: 1 } }, admin);
    expect(typo.status).toBe(400);
    expect(typo.error?.message).toContain("migrations");
    expect(await h.db.settingAudit.count()).toBe(rows);
  });

  it("keeps a field sent as undefined (superjson carries it) rather than resetting it", async () => {
    const before = await storeBaseline(KINDS[0]!);
    const res = await h.call<{ lifecycle: Values; changed: string[] }>("mutation", "settings.update", { splitWriteRate: undefined, maxShardletsPerStream: 100 }, admin);
    expect(res.status, JSON.stringify(res.error)).toBe(200);
    expect(res.data!.changed).toEqual(["maxShardletsPerStream"]);
    expect(res.data!.lifecycle).toEqual({ ...before, maxShardletsPerStream: 100 });
  });

  it("keeps both of two concurrent first saves of a key, for every other settings procedure", async () => {
    const firsts: Array<{ mutation: string; query: string; key: string; a: Values; b: Values }> = [
      { mutation: "cache.updateSettings", query: "cache.settings", key: READ_CACHE_SETTINGS_KEY, a: { minLift: 2 }, b: { topPerType: 4 } },
      { mutation: "cache.updatePlacementSettings", query: "cache.placementSettings", key: PLACEMENT_SETTINGS_KEY, a: { maxPins: 3 }, b: { exploration: 1 } },
      { mutation: "profiler.updateSettings", query: "profiler.settings", key: PROFILER_SETTINGS_KEY, a: { sampleRate: 0.2 }, b: { streams: { orders: { keyFields: ["customer"] } } } },
      { mutation: "prealloc.updateSettings", query: "prealloc.settings", key: PREALLOC_SETTINGS_KEY, a: { aggressiveness: 0.5 }, b: { maxConcurrent: 4 } },
      { mutation: "analyzer.updateSettings", query: "analyzer.settings", key: ANALYZER_SETTINGS_KEY, a: { maxProposals: 5 }, b: { enabled: false } },
    ];
    const stored = await getSettings(h.db);
    for (const f of firsts) expect(stored[f.key], f.key).toBeUndefined();
    const results = await Promise.all(firsts.flatMap((f) => [h.call("mutation", f.mutation, f.a, admin), h.call("mutation", f.mutation, f.b, admin)]));
    expect(results.map((r) => r.status)).toEqual(firsts.flatMap(() => [200, 200]));
    const after = await getSettings(h.db);
    for (const f of firsts) {
      const defaults = (await h.call<{ defaults: Values }>("query", f.query, undefined, admin)).data!.defaults;
      expect(after[f.key], f.key).toEqual({ ...defaults, ...f.a, ...f.b });
    }
  });
});

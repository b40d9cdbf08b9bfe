import { createHash } from "node:crypto";
import { keyHash, type MigrationPhase, type MigrationSettings, type MoveMode, type ShardletRoute } from "@shardcast/core";
import { createApiKey, loadMigrationRun, loadRoutes, reserveSequence, updateMigrationSettings, type MigrationRun } from "@shardcast/db";
import { SequenceAllocator } from "@shardcast/runtime/sequence";
import { runMigration, type MigrationRunResult } from "../src/migration/machine.ts";
import type { MigrationHooks } from "../src/migration/options.ts";
import { startLifecycleHarness, type HarnessOptions, type LifecycleHarness } from "./lifecycle-harness.ts";

/**
 * A lifecycle harness (control db, hosts, a real edge, worker deps) plus what migration tests need:
 * the read watermark for the mover, producers and readers that run while a migration does, and the
 * range checks (count + checksum on a host against what the producers had acknowledged).
 */

export interface RangeFigures {
  rows: number;
  /** Sum over rows of the first 48 bits of md5("<seq>:<event id>"). */
  checksum: bigint;
}

export function pairChecksum(pairs: Iterable<{ seq: number; id: string }>): RangeFigures {
  let rows = 0;
  let checksum = 0n;
  for (const p of pairs) {
    rows++;
    checksum += BigInt(`0x${createHash("md5").update(`${p.seq}:${p.id}`).digest("hex").slice(0, 12)}`);
  }
  return { rows, checksum };
}

export interface ReadCheck {
  reads: number;
  /** Reads completed while the migration was in each phase. */
  byPhase: Partial<Record<MigrationPhase, number>>;
  problems: string[];
  /** (seq, id) of every event a read returned, checked against the acknowledgements at the end. */
  returned: Map<number, string>;
}

export interface MigrationHarness {
  h: LifecycleHarness;
  /** Event id -> key, for every acknowledged event. */
  keys: Map<string, string>;
  hooks: MigrationHooks;
  /** Creates an approved migration of `shardletId` to `destHostId` (at the shardlet's current epoch). */
  approve(shardletId: string, destHostId: string, patch?: { windowStart?: Date; windowEnd?: Date; phase?: MigrationPhase; bytesToMove?: number; mode?: MoveMode }): Promise<string>;
  /** Runs the migration until it ends (waiting out pauses); each run's result is returned in order. */
  runToEnd(id: string): Promise<MigrationRunResult[]>;
  migration(id: string): Promise<MigrationRun>;
  settings(s: Partial<MigrationSettings>): Promise<void>;
  route(shardletId: string): Promise<ShardletRoute>;
  /** Writes `n` events in batches of `batch`, about `inRangeShare` of them with keys in [lo, hi). */
  write(range: { lo: number; hi: number }, n: number, opts?: { batch?: number; inRangeShare?: number }): Promise<void>;
  /** Producers writing until stopped (a share of keys in `range`, some of them `tracked` keys). */
  produceWhile(range: { lo: number; hi: number }, opts?: { producers?: number; tracked?: string[] }): { stop(): Promise<number> };
  /** Readers checking every read against the acknowledgements until stopped. */
  readWhile(migrationId: () => string | null, tracked: string[]): { stop(): Promise<ReadCheck>; waitForReads(n: number): Promise<void> };
  /** Rows and checksum of the stream's rows in [lo, hi) on a host. */
  onHost(hostId: string, range: { lo: number; hi: number }): Promise<RangeFigures>;
  /** Rows and checksum expected in [lo, hi): every acknowledged event whose key hashes there. */
  expected(range: { lo: number; hi: number }): RangeFigures;
  close(): Promise<void>;
}

export async function startMigrationHarness(opts: HarnessOptions = {}): Promise<MigrationHarness> {
  const h = await startLifecycleHarness({ hosts: 2, shardCount: 2, shardletsPerShard: 2, ...opts });
  const sequences = new SequenceAllocator(h.redis, {
    prefix: h.prefix,
    reserve: (streamId, atLeast, step) => reserveSequence(h.db, streamId, atLeast, step),
  });
  const hooks: MigrationHooks = {};
  h.deps.migration = { hooks, watermark: (streamId) => sequences.watermark(streamId), hostRetryDelayMs: 50, lockRetryMs: 100 };
  const keys = new Map<string, string>();

  const produce = async (events: Array<{ key: string; id: string }>) => {
    for (const e of events) keys.set(e.id, e.key);
    await h.produce(events);
  };

  const write = async (range: { lo: number; hi: number }, n: number, o: { batch?: number; inRangeShare?: number } = {}) => {
    const batch = o.batch ?? 50;
    const share = o.inRangeShare ?? 0.5;
    for (let done = 0; done < n; done += batch) {
      const events = Array.from({ length: Math.min(batch, n - done) }, (_, i) => ({
        key: (done + i) % 100 < share * 100 ? h.keyIn(range.lo, range.hi) : h.keyIn(0, 2 ** 32),
        id: h.nextId(),
      }));
      await produce(events);
    }
  };

  const produceWhile = (range: { lo: number; hi: number }, o: { producers?: number; tracked?: string[] } = {}) => {
    let stopped = false;
    let produced = 0;
    const tracked = o.tracked ?? [];
    const loops = Array.from({ length: o.producers ?? 2 }, async (_, p) => {
      for (let i = 0; !stopped; i++) {
        const events = Array.from({ length: 20 }, (_, j) => ({
          key: j === 0 && tracked.length > 0 ? tracked[(i + p) % tracked.length]! : j % 2 === 0 ? h.keyIn(range.lo, range.hi) : h.keyIn(0, 2 ** 32),
          id: h.nextId(),
        }));
        await produce(events);
        produced += events.length;
      }
    });
    return {
      stop: async () => {
        stopped = true;
        await Promise.all(loops);
        return produced;
      },
    };
  };

  const readWhile = (migrationId: () => string | null, tracked: string[]) => {
    const check: ReadCheck = { reads: 0, byPhase: {}, problems: [], returned: new Map() };
    let stopped = false;
    const waiters: Array<{ at: number; resolve: () => void }> = [];
    const problem = (p: string) => {
      if (check.problems.length < 20) check.problems.push(p);
    };
    const loop = (async () => {
      for (let i = 0; !stopped; i++) {
        const before = [...h.acked.values()];
        const id = migrationId();
        const phaseBefore = id ? (await loadMigrationRun(h.db, id))?.phase : undefined;
        // By position: every page from the start; positions up to the last page's `next` are covered.
        const seen = new Map<number, string | null>();
        let covered = 0;
        for (let after = 0; ; ) {
          const page = (await get(`/events?after=${after}&limit=1000`)) as { events: Array<{ seq: number; id: string | null }>; next: number; watermark: number };
          for (const e of page.events) {
            if (seen.has(e.seq)) problem(`read ${i}: seq ${e.seq} returned twice`);
            seen.set(e.seq, e.id);
            if (e.id !== null) check.returned.set(e.seq, e.id);
          }
          covered = page.next;
          if (page.next >= page.watermark || page.next === after) break;
          after = page.next;
        }
        for (const a of before) {
          if (a.seq <= covered && seen.get(a.seq) !== a.id) problem(`read ${i} (${phaseBefore ?? "-"}): acknowledged ${a.id} at seq ${a.seq} missing (covered up to ${covered})`);
        }
        // By key: every acknowledged event of the key, once.
        const key = tracked[i % Math.max(1, tracked.length)];
        if (key !== undefined) {
          // Every page of the key (1,000 events each, oldest first): a page that comes back full is
          // followed by the next from its last event time, whose events come again and count once.
          const ids = new Set<string>();
          let from: number | undefined;
          for (let pageNo = 0; ; pageNo++) {
            const q = from === undefined ? "" : `&from=${from}`;
            const byKey = (await get(`/keys/${encodeURIComponent(key)}/events?limit=1000${q}`)) as { events: Array<{ seq: number; id: string | null; ts: number }> };
            const inPage = new Set<string>();
            for (const e of byKey.events) {
              if (e.id !== null && inPage.has(e.id)) problem(`read ${i}: key ${key} returned ${e.id} twice`);
              if (e.id !== null && ids.has(e.id) && e.ts !== from) problem(`read ${i}: key ${key} returned ${e.id} on two pages`);
              if (e.id !== null) inPage.add(e.id);
              if (e.id !== null) ids.add(e.id);
              if (e.id !== null) check.returned.set(e.seq, e.id);
            }
            const last = byKey.events.at(-1)?.ts;
            if (byKey.events.length < 1000 || last === undefined) break;
            if (last === from || pageNo >= 20) {
              problem(`read ${i}: key ${key} has more than 1,000 events at one time (${last}); cannot page past them`);
              break;
            }
            from = last;
          }
          for (const a of before) if (keys.get(a.id) === key && !ids.has(a.id)) problem(`read ${i} (${phaseBefore ?? "-"}): key ${key} is missing acknowledged ${a.id}`);
        }
        const phaseAfter = id ? (await loadMigrationRun(h.db, id))?.phase : undefined;
        // Counted for a phase only when the whole read ran inside it.
        if (phaseBefore && phaseBefore === phaseAfter) check.byPhase[phaseBefore] = (check.byPhase[phaseBefore] ?? 0) + 1;
        check.reads++;
        for (const w of waiters.filter((x) => check.reads >= x.at)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        await loop;
        for (const w of waiters) w.resolve();
        return check;
      },
      waitForReads: (n: number) =>
        new Promise<void>((resolve) => {
          if (stopped) return resolve();
          waiters.push({ at: check.reads + n, resolve });
        }),
    };
  };

  const base = `http://127.0.0.1:${(h.edge.server.address() as { port: number }).port}/v1/streams/${h.stream}`;
  // A key of our own for the readers (the lifecycle harness keeps its producer key to itself).
  const { token } = await createApiKey(h.db, { name: "migration-reader", streams: [h.stream], canProduce: false, canConsume: true, createdById: null });
  async function get(path: string): Promise<unknown> {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`read ${path} failed (${res.status}): ${await res.text()}`);
    return res.json();
  }

  return {
    h,
    keys,
    hooks,
    approve: async (shardletId, destHostId, patch = {}) => {
      const s = await h.db.shardlet.findUniqueOrThrow({ where: { id: shardletId } });
      const row = await h.db.migration.create({
        data: {
          streamId: s.streamId,
          shardletId,
          sourceHostId: s.hostId,
          destHostId,
          phase: patch.phase ?? "approved",
          origin: "manual",
          mode: patch.mode ?? "copy",
          reason: "test move",
          shardletEpoch: s.epoch,
          ...(patch.bytesToMove !== undefined ? { bytesToMove: BigInt(patch.bytesToMove) } : {}),
          ...(patch.windowStart ? { windowStart: patch.windowStart } : {}),
          ...(patch.windowEnd ? { windowEnd: patch.windowEnd } : {}),
        },
      });
      return row.id;
    },
    runToEnd: async (id) => {
      const results: MigrationRunResult[] = [];
      for (;;) {
        const r = await runMigration(h.deps, id);
        results.push(r);
        if (r.status !== "paused" && r.status !== "busy") return results;
        // A pause names the time the migration has work again: wait for that moment.
        await new Promise((resolve) => setTimeout(resolve, Math.max(10, (r.resumeAt ?? Date.now() + 100) - Date.now())));
      }
    },
    migration: async (id) => {
      const m = await loadMigrationRun(h.db, id);
      if (!m) throw new Error(`no migration ${id}`);
      return m;
    },
    settings: async (s) => {
      await updateMigrationSettings(h.db, s, null);
    },
    route: async (shardletId) => {
      const r = (await loadRoutes(h.db, h.streamId)).find((x) => x.id === shardletId);
      if (!r) throw new Error(`shardlet ${shardletId} is not routed`);
      return r;
    },
    write,
    produceWhile,
    readWhile,
    onHost: async (hostId, range) => {
      const d = await h.driver(hostId);
      const res = await d.withClient((c) =>
        c.query<{ rows: number; checksum: string | null }>(
          `SELECT count(*)::int AS rows, sum(('x' || substr(md5(seq::text || ':' || event_id), 1, 12))::bit(48)::bigint)::text AS checksum
           FROM sc_events WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3`,
          [h.streamId, range.lo, range.hi],
        ),
      );
      return { rows: res.rows[0]?.rows ?? 0, checksum: BigInt(res.rows[0]?.checksum ?? "0") };
    },
    expected: (range) => {
      const inRange = [...h.acked.values()].filter((a) => {
        const k = keys.get(a.id);
        if (k === undefined) throw new Error(`no key recorded for ${a.id}`);
        const hash = keyHash(k);
        return hash >= range.lo && hash < range.hi;
      });
      return pairChecksum(inRange);
    },
    close: () => h.close(),
  };
}

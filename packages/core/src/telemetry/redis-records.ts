/**
 * Telemetry counter records and how they travel through Redis. Edges add their counters into
 * per-bucket hashes with HINCRBY (one MULTI per flush) and mark the bucket dirty; the rollup claims
 * dirty buckets, decodes them with `decodeBucket` and adds them into PostgreSQL.
 *
 * Redis layout under `<prefix>:tm:` (B = bucket start, epoch ms):
 * - `c:B` hash, field `stream \t shardlet \t metric` (w, r, bw, br, ls, lc): counters;
 * - `x:B` sorted set, member `stream \t shardlet`, score: the largest write ack latency (ZADD GT);
 * - `n:B` sorted set, member `stream \t shardlet`, score: the lowest position read (ZADD LT);
 * - `k:B` hash, field `stream \t metric \t key` (w, r, e): hot keys' guaranteed writes and reads and how much more they may have had;
 * - `r:B` hash, field `stream \t shardlet \t client \t group`: reads per client;
 * - `f:B` list of `stream \t shardlet \t <profile JSON>`: the profiler's statistics, one entry per
 *   shardlet and flush (sketches merge, they do not add, so they cannot be HINCRBY'd);
 * - `dirty` sorted set of bucket starts with counters not rolled up yet;
 * - `batches` hash of claimed batches (id -> JSON), `p:<batch>:<kind>:B` their claimed keys.
 * Ids never contain a tab and client labels are sanitized, so only a key (always last) may.
 */

import { emptyCounters, lowerSeq, type ClientDelta, type HotKeyDelta, type ProfileDelta, type ShardletCounters, type ShardletDelta, type TelemetryDeltas } from "./records.ts";
import type { ProfileData } from "../profile/shardlet-profile.ts";

/** The key kinds of one bucket (see the layout above). */
export const BUCKET_KEY_KINDS = ["c", "x", "k", "r", "f", "n"] as const;
export type BucketKeyKind = (typeof BUCKET_KEY_KINDS)[number];

export interface TelemetryRedisKeys {
  /** Prefix of every telemetry key, ending in `:tm:`. */
  root: string;
  dirty: string;
  batches: string;
  bucket(kind: BucketKeyKind, bucketStart: number): string;
  claimed(batchId: string, kind: BucketKeyKind, bucketStart: number): string;
}

/**
 * Every telemetry key starts with the deployment prefix as a Redis Cluster hash tag (`{sc}:tm:`),
 * so that the flush `MULTI`, the claim script (which renames keys it derives from the root) and
 * the release `MULTI` stay in one slot. Keys of the earlier untagged layout are simply no longer
 * read: like counters a Redis restart loses, they cost at most the telemetry of the upgrade
 * window (expiring after a day), never a count added twice.
 */
export function telemetryRedisKeys(prefix: string): TelemetryRedisKeys {
  const root = `{${prefix}}:tm:`;
  return {
    root,
    dirty: `${root}dirty`,
    batches: `${root}batches`,
    bucket: (kind, b) => `${root}${kind}:${b}`,
    claimed: (batchId, kind, b) => `${root}p:${batchId}:${kind}:${b}`,
  };
}

export const SEP = "\t";

const COUNTER_FIELDS = {
  w: "writes",
  r: "reads",
  bw: "bytesWritten",
  br: "bytesRead",
  ls: "latencySumMs",
  lc: "latencyCount",
} as const satisfies Record<string, keyof ShardletCounters>;
type CounterCode = keyof typeof COUNTER_FIELDS;
const COUNTER_CODES = Object.keys(COUNTER_FIELDS) as CounterCode[];

export type RedisCommand = [string, ...Array<string | number>];

/**
 * The commands of one flush (for one MULTI): increments per bucket, the latency maxima, the dirty
 * marks, and an expiry on every key so counters no rollup ever claims do not pile up.
 */
export function flushCommands(prefix: string, d: TelemetryDeltas, opts: { ttlSec: number }): RedisCommand[] {
  const keys = telemetryRedisKeys(prefix);
  const cmds: RedisCommand[] = [];
  const touched = new Map<number, Set<string>>();
  const touch = (b: number, key: string) => {
    let s = touched.get(b);
    if (!s) touched.set(b, (s = new Set()));
    s.add(key);
    return key;
  };
  for (const s of d.shardlets) {
    const key = keys.bucket("c", s.bucketStart);
    const base = s.streamId + SEP + s.shardletId + SEP;
    for (const code of COUNTER_CODES) {
      const v = s[COUNTER_FIELDS[code]];
      if (v === 0) continue;
      touch(s.bucketStart, key);
      // Latency sums are fractional; every other counter is an integer.
      cmds.push(code === "ls" ? ["hincrbyfloat", key, base + code, v] : ["hincrby", key, base + code, Math.round(v)]);
    }
    if (s.latencyCount > 0) {
      cmds.push(["zadd", touch(s.bucketStart, keys.bucket("x", s.bucketStart)), "GT", s.latencyMaxMs, s.streamId + SEP + s.shardletId]);
    }
    if (s.minSeqRead !== undefined) {
      cmds.push(["zadd", touch(s.bucketStart, keys.bucket("n", s.bucketStart)), "LT", s.minSeqRead, s.streamId + SEP + s.shardletId]);
    }
  }
  for (const h of d.hotKeys) {
    const key = touch(h.bucketStart, keys.bucket("k", h.bucketStart));
    const base = h.streamId + SEP;
    if (h.writes > 0) cmds.push(["hincrby", key, `${base}w${SEP}${h.key}`, h.writes]);
    if (h.reads > 0) cmds.push(["hincrby", key, `${base}r${SEP}${h.key}`, h.reads]);
    if (h.error > 0) cmds.push(["hincrby", key, `${base}e${SEP}${h.key}`, h.error]);
  }
  for (const c of d.clients) {
    if (c.reads <= 0) continue;
    const key = touch(c.bucketStart, keys.bucket("r", c.bucketStart));
    cmds.push(["hincrby", key, [c.streamId, c.shardletId, c.client, c.clientGroup].join(SEP), c.reads]);
  }
  for (const p of d.profiles ?? []) {
    const key = touch(p.bucketStart, keys.bucket("f", p.bucketStart));
    cmds.push(["rpush", key, p.streamId + SEP + p.shardletId + SEP + JSON.stringify(p.profile)]);
  }
  for (const [b, set] of touched) {
    for (const key of set) cmds.push(["expire", key, opts.ttlSec]);
    cmds.push(["zadd", keys.dirty, b, String(b)]);
  }
  if (touched.size > 0) cmds.push(["expire", keys.dirty, opts.ttlSec]);
  return cmds;
}

/** What a claimed bucket holds: hash contents and the flat `ZRANGE ... WITHSCORES` reply. */
export interface BucketContents {
  counters: Record<string, string>;
  maxima: readonly string[];
  hotKeys: Record<string, string>;
  clients: Record<string, string>;
  /** The `f:B` list (absent in buckets written before the profiler existed). */
  profiles?: readonly string[];
  /** The `n:B` sorted set, flat `ZRANGE ... WITHSCORES` (absent in buckets written before it existed). */
  minima?: readonly string[];
}

function finite(raw: string): number | null {
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

/**
 * The deltas of one bucket. Malformed fields (which no edge writes) are counted and skipped rather
 * than failing the whole rollup.
 */
export function decodeBucket(bucketStart: number, c: BucketContents): { deltas: TelemetryDeltas; malformed: number } {
  let malformed = 0;
  const shardlets = new Map<string, ShardletDelta>();
  const shardlet = (streamId: string, shardletId: string) => {
    const id = streamId + SEP + shardletId;
    let s = shardlets.get(id);
    if (!s) shardlets.set(id, (s = { bucketStart, streamId, shardletId, ...emptyCounters() }));
    return s;
  };
  for (const [field, raw] of Object.entries(c.counters)) {
    const parts = field.split(SEP);
    const v = finite(raw);
    const code = parts[2] as CounterCode | undefined;
    if (parts.length !== 3 || v === null || !code || !Object.hasOwn(COUNTER_FIELDS, code) || !parts[0] || !parts[1]) {
      malformed++;
      continue;
    }
    shardlet(parts[0], parts[1])[COUNTER_FIELDS[code]] += v;
  }
  for (let i = 0; i + 1 < c.maxima.length; i += 2) {
    const parts = c.maxima[i]!.split(SEP);
    const v = finite(c.maxima[i + 1]!);
    if (parts.length !== 2 || v === null || !parts[0] || !parts[1]) {
      malformed++;
      continue;
    }
    const s = shardlet(parts[0], parts[1]);
    if (v > s.latencyMaxMs) s.latencyMaxMs = v;
  }
  const minima = c.minima ?? [];
  for (let i = 0; i + 1 < minima.length; i += 2) {
    const parts = minima[i]!.split(SEP);
    const v = finite(minima[i + 1]!);
    if (parts.length !== 2 || v === null || !Number.isSafeInteger(v) || !parts[0] || !parts[1]) {
      malformed++;
      continue;
    }
    const s = shardlet(parts[0], parts[1]);
    s.minSeqRead = lowerSeq(s.minSeqRead, v);
  }
  const hot = new Map<string, HotKeyDelta>();
  for (const [field, raw] of Object.entries(c.hotKeys)) {
    const a = field.indexOf(SEP);
    const b = a < 0 ? -1 : field.indexOf(SEP, a + 1);
    const v = finite(raw);
    if (a <= 0 || b < 0 || v === null) {
      malformed++;
      continue;
    }
    const streamId = field.slice(0, a);
    const metric = field.slice(a + 1, b);
    const key = field.slice(b + 1);
    const id = streamId + SEP + key;
    let h = hot.get(id);
    if (!h) hot.set(id, (h = { bucketStart, streamId, key, writes: 0, reads: 0, error: 0 }));
    if (metric === "w") h.writes += v;
    else if (metric === "r") h.reads += v;
    else if (metric === "e") h.error += v;
    else malformed++;
  }
  const clients: ClientDelta[] = [];
  for (const [field, raw] of Object.entries(c.clients)) {
    const parts = field.split(SEP);
    const v = finite(raw);
    if (parts.length !== 4 || v === null || parts.some((p) => p.length === 0)) {
      malformed++;
      continue;
    }
    clients.push({ bucketStart, streamId: parts[0]!, shardletId: parts[1]!, client: parts[2]!, clientGroup: parts[3]!, reads: v });
  }
  const profiles: ProfileDelta[] = [];
  for (const entry of c.profiles ?? []) {
    const a = entry.indexOf(SEP);
    const b = a < 0 ? -1 : entry.indexOf(SEP, a + 1);
    let profile: unknown;
    try {
      profile = b > a + 1 && a > 0 ? JSON.parse(entry.slice(b + 1)) : null;
    } catch {
      profile = null;
    }
    if (profile === null || typeof profile !== "object" || Array.isArray(profile)) {
      malformed++;
      continue;
    }
    profiles.push({ bucketStart, streamId: entry.slice(0, a), shardletId: entry.slice(a + 1, b), profile: profile as ProfileData });
  }
  return { deltas: { shardlets: [...shardlets.values()], hotKeys: [...hot.values()], clients, ...(profiles.length > 0 ? { profiles } : {}) }, malformed };
}

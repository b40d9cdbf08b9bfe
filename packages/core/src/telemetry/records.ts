/**
 * Telemetry counter records and how they travel through Redis. Edges add their counters into
 * per-bucket hashes with HINCRBY (one MULTI per flush) and mark the bucket dirty; the rollup claims
 * dirty buckets, decodes them with `decodeBucket` and adds them into PostgreSQL.
 *
 * Redis layout under `<prefix>:tm:` (B = bucket start, epoch ms):
 * - `c:B` hash, field `stream \t shardlet \t metric` (w, r, bw, br, ls, lc): counters;
 * - `x:B` sorted set, member `stream \t shardlet`, score: the largest write ack latency (ZADD GT);
 * - `k:B` hash, field `stream \t metric \t key` (w, r, e): hot keys and their error bounds;
 * - `r:B` hash, field `stream \t shardlet \t client \t group`: reads per client;
 * - `f:B` list of `stream \t shardlet \t <profile JSON>`: the profiler's statistics, one entry per
 *   shardlet and flush (sketches merge, they do not add, so they cannot be HINCRBY'd);
 * - `dirty` sorted set of bucket starts with counters not rolled up yet;
 * - `batches` hash of claimed batches (id -> JSON), `p:<batch>:<kind>:B` their claimed keys.
 * Ids never contain a tab and client labels are sanitized, so only a key (always last) may.
 */

import { ShardletProfile, type ProfileData } from "../profile/shardlet-profile.ts";

export interface ShardletCounters {
  writes: number;
  reads: number;
  bytesWritten: number;
  bytesRead: number;
  /** Sum of write ack latencies, one term per event (an event waits for its whole batch). */
  latencySumMs: number;
  latencyCount: number;
  latencyMaxMs: number;
}

export interface ShardletDelta extends ShardletCounters {
  bucketStart: number;
  streamId: string;
  shardletId: string;
}

export interface HotKeyDelta {
  bucketStart: number;
  streamId: string;
  key: string;
  writes: number;
  reads: number;
  /** How much `writes + reads` may overstate the key's true count (Space-Saving error). */
  error: number;
}

export interface ClientDelta {
  bucketStart: number;
  streamId: string;
  shardletId: string;
  client: string;
  clientGroup: string;
  reads: number;
}

/** One shardlet's profile (see `ShardletProfile`) over the edge's flush interval. */
export interface ProfileDelta {
  bucketStart: number;
  streamId: string;
  shardletId: string;
  profile: ProfileData;
}

export interface TelemetryDeltas {
  shardlets: ShardletDelta[];
  hotKeys: HotKeyDelta[];
  clients: ClientDelta[];
  /** Absent when the profiler is off (or nothing was sampled). */
  profiles?: ProfileDelta[];
}

export function emptyCounters(): ShardletCounters {
  return { writes: 0, reads: 0, bytesWritten: 0, bytesRead: 0, latencySumMs: 0, latencyCount: 0, latencyMaxMs: 0 };
}

export function addCounters(into: ShardletCounters, from: ShardletCounters): void {
  into.writes += from.writes;
  into.reads += from.reads;
  into.bytesWritten += from.bytesWritten;
  into.bytesRead += from.bytesRead;
  into.latencySumMs += from.latencySumMs;
  into.latencyCount += from.latencyCount;
  if (from.latencyMaxMs > into.latencyMaxMs) into.latencyMaxMs = from.latencyMaxMs;
}

export function emptyDeltas(): TelemetryDeltas {
  return { shardlets: [], hotKeys: [], clients: [] };
}

export function deltaRows(d: TelemetryDeltas): number {
  return d.shardlets.length + d.hotKeys.length + d.clients.length + (d.profiles?.length ?? 0);
}

/** The key kinds of one bucket (see the layout above). */
export const BUCKET_KEY_KINDS = ["c", "x", "k", "r", "f"] as const;
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

const SEP = "\t";

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

/**
 * The same deltas summed into buckets of `resolutionSec` (counters add, latency maxima take the
 * largest), in primary-key order so concurrent upserts lock rows in one order.
 */
export function foldDeltas(d: TelemetryDeltas, resolutionSec: number): TelemetryDeltas {
  const len = resolutionSec * 1000;
  const at = (ms: number) => Math.floor(ms / len) * len;
  const shardlets = new Map<string, ShardletDelta>();
  for (const s of d.shardlets) {
    const b = at(s.bucketStart);
    const id = `${b}${SEP}${s.shardletId}`;
    const cur = shardlets.get(id);
    if (cur) addCounters(cur, s);
    else shardlets.set(id, { ...s, bucketStart: b });
  }
  const hotKeys = new Map<string, HotKeyDelta>();
  for (const h of d.hotKeys) {
    const b = at(h.bucketStart);
    const id = `${b}${SEP}${h.streamId}${SEP}${h.key}`;
    const cur = hotKeys.get(id);
    if (cur) {
      cur.writes += h.writes;
      cur.reads += h.reads;
      cur.error += h.error;
    } else hotKeys.set(id, { ...h, bucketStart: b });
  }
  const clients = new Map<string, ClientDelta>();
  for (const c of d.clients) {
    const b = at(c.bucketStart);
    const id = [b, c.shardletId, c.client, c.clientGroup].join(SEP);
    const cur = clients.get(id);
    if (cur) cur.reads += c.reads;
    else clients.set(id, { ...c, bucketStart: b });
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    shardlets: [...shardlets.values()].sort((a, b) => a.bucketStart - b.bucketStart || cmp(a.shardletId, b.shardletId)),
    hotKeys: [...hotKeys.values()].sort((a, b) => a.bucketStart - b.bucketStart || cmp(a.streamId, b.streamId) || cmp(a.key, b.key)),
    clients: [...clients.values()].sort(
      (a, b) => a.bucketStart - b.bucketStart || cmp(a.shardletId, b.shardletId) || cmp(a.client, b.client) || cmp(a.clientGroup, b.clientGroup),
    ),
  };
}

/**
 * Profiles merged into buckets of `resolutionSec`, one per stream and shardlet (sorted, so
 * concurrent upserts lock rows in one order). Malformed parts of a profile decode as empty.
 */
export function foldProfiles(list: readonly ProfileDelta[], resolutionSec: number): ProfileDelta[] {
  const len = resolutionSec * 1000;
  const merged = new Map<string, { bucketStart: number; streamId: string; shardletId: string; p: ShardletProfile }>();
  for (const d of list) {
    const b = Math.floor(d.bucketStart / len) * len;
    const id = `${b}${SEP}${d.streamId}${SEP}${d.shardletId}`;
    const cur = merged.get(id);
    if (cur) cur.p.merge(ShardletProfile.fromData(d.profile));
    else merged.set(id, { bucketStart: b, streamId: d.streamId, shardletId: d.shardletId, p: ShardletProfile.fromData(d.profile) });
  }
  return [...merged.values()]
    .sort((a, b) => a.bucketStart - b.bucketStart || (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : a.shardletId < b.shardletId ? -1 : a.shardletId > b.shardletId ? 1 : 0))
    .map((m) => ({ bucketStart: m.bucketStart, streamId: m.streamId, shardletId: m.shardletId, profile: m.p.toData() }));
}

/** Longest client or group label kept. */
export const CLIENT_LABEL_MAX_LENGTH = 64;
/** Group of readers that send none. */
export const DEFAULT_CLIENT_GROUP = "default";
/** Label that stands for every client past the cardinality cap. */
export const OTHER_CLIENT_LABEL = "_other";

/**
 * A client or group label from a request header: trimmed, characters outside letters, digits and
 * `._:@/+-` replaced by `_`, cut to `maxLength`. Null when nothing usable is left.
 */
export function sanitizeLabel(raw: string | null | undefined, maxLength = CLIENT_LABEL_MAX_LENGTH): string | null {
  if (raw === null || raw === undefined) return null;
  const cleaned = raw.trim().slice(0, maxLength).replace(/[^A-Za-z0-9._:@/+-]/g, "_");
  return cleaned.length > 0 && !/^_+$/.test(cleaned) ? cleaned : null;
}

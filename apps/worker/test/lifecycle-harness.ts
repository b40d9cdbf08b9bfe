import { createHash, randomBytes } from "node:crypto";
import { DEFAULT_INGEST_LIMITS, HASH_SPACE, keyHash, RoutingTable, type LifecycleSettings } from "@shardcast/core";
import { loadRoutes, updateLifecycleSettings, type ControlDb, type HostDriver, type HostPool } from "@shardcast/db";
import { createTestCluster } from "@shardcast/db/testing";
import { createLogger } from "@shardcast/runtime/logger";
import { createOpLocks, type OpLocks } from "@shardcast/runtime/oplock";
import { startEdgeBalancer } from "@shardcast/runtime/edge-balancer";
import { publishRoutingChange } from "@shardcast/runtime/redis";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { Redis } from "ioredis";
import { createEdge, type Edge } from "../../edge/src/app.ts";
import type { LifecycleTuning, WorkerDeps } from "../src/deps.ts";

export const REDIS_URL = testRedisUrl();

export interface HarnessOptions {
  hosts?: number;
  shardCount?: number;
  shardletsPerShard?: number;
  /** Capacity of the stream's first shardlets. */
  capacityBytes?: number;
  settings?: Partial<LifecycleSettings>;
  lockTtlMs?: number;
  lifecycle?: LifecycleTuning;
  /** The edge's shard cache (default: the product's): a budget of 0 sends every read to storage. */
  readCache?: { maxBytes: number; prefetchBytesPerSec: number };
  /** The Redis of the edge, the op-locks and the sequences (default REDIS_URL): a test's own, to empty or restart. */
  redisUrl?: string;
  /**
   * How many edges serve the stream (default 1). With more, the harness's own calls take turns
   * over them request by request, and `edgeUrl` is a round-robin entry in front of them (new
   * connections alternate), as producers and consumers meet a deployment behind a load balancer.
   */
  edges?: number;
}

export interface Ack {
  id: string;
  seq: number;
  shardletId: string;
}

export interface ReadEvent {
  seq: number;
  id: string | null;
  key: string;
}

export interface ExactlyOnceReport {
  rows: number;
  acked: number;
  distinctIds: number;
  missing: string[];
  unexpected: string[];
  duplicateSeqs: number;
  /**
   * Rows on a host other than that of the live shardlet whose range holds their key hash (a
   * shardlet's rows are its range on its host; the row's label only says who accepted it).
   */
  misplaced: number;
  undrainedOverflow: number;
  checksumStored: bigint;
  checksumAcked: bigint;
}

export interface LifecycleHarness {
  db: ControlDb;
  hosts: HostPool;
  hostIds: string[];
  prefix: string;
  redis: Redis;
  opLocks: OpLocks;
  deps: WorkerDeps;
  /** The first edge (the only one unless `edges` asked for more). */
  edge: Edge;
  /** Every edge, the first one first. */
  edges: Edge[];
  /** Each edge's own base URL, in the order of `edges`. */
  edgeUrls: string[];
  /** The control database's URL (for another edge over the same cluster). */
  controlUrl: string;
  /** The entry's base URL (the edge itself when there is one) and an API key that may produce and consume the stream. */
  edgeUrl: string;
  token: string;
  streamId: string;
  stream: string;
  /** Every id the edge acknowledged, with the seq of its last acknowledgement. */
  acked: Map<string, Ack>;
  /** Posts one batch through the edge, resending it until it is acknowledged. */
  produce(events: Array<{ key: string; id: string }>): Promise<Ack[]>;
  /** Every event the edge returns for reads by position (all pages) and, with `key`, by key. */
  read(key?: string): Promise<{ byPosition: ReadEvent[]; byKey: ReadEvent[] }>;
  /** A key whose hash lies in [lo, hi). */
  keyIn(lo: number, hi: number): string;
  nextId(): string;
  driver(hostId: string): Promise<HostDriver>;
  check(): Promise<ExactlyOnceReport>;
  close(): Promise<void>;
}

/** A request to the harness's edge under its stream's path, with its API key; the answer's status and JSON body. */
export async function callEdge<T>(h: Pick<LifecycleHarness, "edgeUrl" | "stream" | "token">, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${h.edgeUrl}/v1/streams/${h.stream}${path}`, {
    method,
    headers: { authorization: `Bearer ${h.token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** The order-independent checksum over event ids: sum of the first 48 bits of each id's md5. */
export function idChecksum(ids: Iterable<string>): bigint {
  let sum = 0n;
  for (const id of ids) sum += BigInt(`0x${createHash("md5").update(id).digest("hex").slice(0, 12)}`);
  return sum;
}

/**
 * A control database, `hosts` host databases, a stream, a real edge (in process, as producers
 * reach it) and the worker's dependencies, all isolated under a random Redis prefix.
 */
export async function startLifecycleHarness(opts: HarnessOptions = {}): Promise<LifecycleHarness> {
  const stream = `lc-${randomBytes(3).toString("hex")}`;
  const cluster = await createTestCluster({
    hosts: opts.hosts ?? 2,
    stream,
    shardCount: opts.shardCount ?? 2,
    shardletsPerShard: opts.shardletsPerShard ?? 2,
    hostPoolSize: 6,
    ...(opts.capacityBytes ? { capacityBytes: opts.capacityBytes } : {}),
    beforeStream: async (db: ControlDb) => {
      if (opts.settings) await updateLifecycleSettings(db, opts.settings, null);
    },
  });
  const { db, hosts, hostIds } = cluster;
  const prefix = `sc_lc_${randomBytes(4).toString("hex")}`;
  const redisUrl = opts.redisUrl ?? REDIS_URL;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const log = createLogger({ test: "lifecycle" }, { level: "error" });
  const opLocks = createOpLocks([redis], { prefix, ttlMs: opts.lockTtlMs ?? 10_000, publisher: redis, log });
  const deps: WorkerDeps = {
    db,
    hosts,
    log,
    clock: Date.now,
    opLocks,
    announce: (streamId, patch) => publishRoutingChange(redis, prefix, streamId, patch),
    lifecycle: opts.lifecycle ?? {},
  };
  const edges: Edge[] = [];
  const edgeUrls: string[] = [];
  for (let i = 0; i < Math.max(1, opts.edges ?? 1); i++) {
    const edge = createEdge({
      databaseUrl: cluster.controlUrl,
      redisUrl,
      redisPrefix: prefix,
      limits: { ...DEFAULT_INGEST_LIMITS, maxEventBytes: 4096, maxBodyBytes: 1024 * 1024 },
      routingRefreshMs: 30_000,
      lockResyncMs: 5_000,
      hostPoolSize: 6,
      ...(opts.readCache ? { readCache: opts.readCache } : {}),
      log: createLogger({ app: "edge" }, { level: "error" }),
    });
    edges.push(edge);
    edgeUrls.push(`http://127.0.0.1:${await edge.listen(0, "127.0.0.1")}`);
  }
  const balancer =
    edges.length > 1
      ? await startEdgeBalancer({ host: "127.0.0.1", port: 0, targets: edgeUrls.map((u) => ({ host: "127.0.0.1", port: Number(new URL(u).port) })) })
      : null;
  // fetch keeps connections alive, so a connection balancer alone would send the harness's calls
  // to one edge; taking turns per request interleaves the edges as tightly as a deployment can.
  let turn = 0;
  const base = () => `${edgeUrls[turn++ % edgeUrls.length]!}/v1/streams/${stream}`;
  const acked = new Map<string, Ack>();
  let idCounter = 0;
  let keyCounter = 0;
  const runTag = randomBytes(3).toString("hex");

  const produce = async (events: Array<{ key: string; id: string }>): Promise<Ack[]> => {
    const body = JSON.stringify({ events: events.map((e) => ({ key: e.key, id: e.id, type: "t", payload: { n: e.id, pad: "x".repeat(40) } })) });
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${base()}/events`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${cluster.token}` }, body });
      const json = (await res.json()) as { events?: Array<{ seq: number; shardletId: string }>; error?: { message: string } };
      if (res.status === 200 && json.events) {
        const acks = events.map((e, i) => ({ id: e.id, seq: json.events![i]!.seq, shardletId: json.events![i]!.shardletId }));
        for (const a of acks) acked.set(a.id, a);
        return acks;
      }
      // 503: some of the batch may be stored; ids make the resend idempotent.
      if (res.status !== 503 || attempt >= 50) throw new Error(`produce failed (${res.status}): ${json.error?.message ?? "no body"}`);
    }
  };

  const read = async (keyName?: string): Promise<{ byPosition: ReadEvent[]; byKey: ReadEvent[] }> => {
    const get = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${base()}${path}`, { headers: { authorization: `Bearer ${cluster.token}` } });
      if (res.status !== 200) throw new Error(`read failed (${res.status}): ${await res.text()}`);
      return (await res.json()) as T;
    };
    const byPosition: ReadEvent[] = [];
    for (let after = 0; ; ) {
      const page = await get<{ events: ReadEvent[]; next: number; watermark: number }>(`/events?after=${after}&limit=1000`);
      byPosition.push(...page.events.map((e) => ({ seq: e.seq, id: e.id, key: e.key })));
      if (page.next >= page.watermark || page.next === after) break;
      after = page.next;
    }
    const byKey =
      keyName === undefined
        ? []
        : (await get<{ events: ReadEvent[] }>(`/keys/${encodeURIComponent(keyName)}/events?limit=1000`)).events.map((e) => ({ seq: e.seq, id: e.id, key: e.key }));
    return { byPosition, byKey };
  };

  const keyIn = (lo: number, hi: number): string => {
    for (;;) {
      const k = `k-${runTag}-${keyCounter++}`;
      const h = keyHash(k);
      if (h >= lo && h < hi) return k;
    }
  };

  const check = async (): Promise<ExactlyOnceReport> => {
    const table = RoutingTable.build(cluster.streamId, await loadRoutes(db, cluster.streamId));
    const seqs = new Set<number>();
    let duplicateSeqs = 0;
    let misplaced = 0;
    let rows = 0;
    let undrained = 0;
    let checksumStored = 0n;
    const ids = new Set<string>();
    for (const hostId of hostIds) {
      const d = await hosts.get(hostId);
      const res = await d.withClient((c) =>
        c.query<{ seq: string; event_id: string; key_hash: string }>(
          "SELECT seq, event_id, key_hash FROM sc_events WHERE stream_id = $1",
          [cluster.streamId],
        ),
      );
      const sum = await d.withClient((c) =>
        c.query<{ s: string | null }>(
          "SELECT sum(('x' || substr(md5(event_id), 1, 12))::bit(48)::bigint)::text AS s FROM sc_events WHERE stream_id = $1",
          [cluster.streamId],
        ),
      );
      checksumStored += BigInt(sum.rows[0]?.s ?? "0");
      for (const r of res.rows) {
        rows++;
        const seq = Number(r.seq);
        if (seqs.has(seq)) duplicateSeqs++;
        seqs.add(seq);
        ids.add(r.event_id);
        const owner = table.lookup(Number(r.key_hash));
        // History a hand-off left where it was written is in place on its host.
        if (owner.hostId !== hostId && !owner.historyHostIds?.includes(hostId)) misplaced++;
      }
      undrained += await d.countOverflow(cluster.streamId);
    }
    const missing = [...acked.keys()].filter((id) => !ids.has(id));
    const unexpected = [...ids].filter((id) => !acked.has(id));
    return {
      rows,
      acked: acked.size,
      distinctIds: ids.size,
      missing: missing.slice(0, 10),
      unexpected: unexpected.slice(0, 10),
      duplicateSeqs,
      misplaced,
      undrainedOverflow: undrained,
      checksumStored,
      checksumAcked: idChecksum(acked.keys()),
    };
  };

  return {
    db,
    hosts,
    hostIds,
    prefix,
    redis,
    opLocks,
    deps,
    edge: edges[0]!,
    edges,
    edgeUrls,
    streamId: cluster.streamId,
    stream,
    acked,
    controlUrl: cluster.controlUrl,
    edgeUrl: balancer ? `http://127.0.0.1:${balancer.port}` : edgeUrls[0]!,
    token: cluster.token,
    produce,
    read,
    keyIn,
    nextId: () => `e-${runTag}-${idCounter++}`,
    driver: (hostId) => hosts.get(hostId),
    check,
    close: async () => {
      await balancer?.stop();
      for (const edge of edges) await edge.close();
      await opLocks.close();
      const keys = [...(await redis.keys(`${prefix}:*`)), ...(await redis.keys(`{${prefix}}:*`))];
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      await cluster.drop();
    },
  };
}

/** Asserts the exactly-once report: every acknowledged id stored once, in its owner, nothing left over. */
export function exactlyOnceProblems(r: ExactlyOnceReport): string[] {
  const problems: string[] = [];
  if (r.rows !== r.acked) problems.push(`${r.rows} rows stored for ${r.acked} acknowledged events`);
  if (r.distinctIds !== r.rows) problems.push(`${r.rows - r.distinctIds} ids stored more than once`);
  if (r.missing.length > 0) problems.push(`missing ids: ${r.missing.join(", ")}`);
  if (r.unexpected.length > 0) problems.push(`unacknowledged ids stored: ${r.unexpected.join(", ")}`);
  if (r.duplicateSeqs > 0) problems.push(`${r.duplicateSeqs} duplicate sequence numbers`);
  if (r.misplaced > 0) problems.push(`${r.misplaced} rows away from the host of the shardlet owning their key hash`);
  if (r.undrainedOverflow > 0) problems.push(`${r.undrainedOverflow} overflow rows not drained`);
  if (r.checksumStored !== r.checksumAcked) problems.push(`checksum ${r.checksumStored} != acknowledged ${r.checksumAcked}`);
  return problems;
}

export const FULL_RANGE = { lo: 0, hi: HASH_SPACE };

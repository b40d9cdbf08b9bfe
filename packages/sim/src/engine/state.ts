import { ShardcastError, type PlacementHost } from "@shardcast/core";
import type { ClusterConfig, PolicyConfig, SimConfig } from "../config.ts";
import { lowerBound } from "../workload/builder.ts";
import type { LoadAnnouncement, SimStream, SimWorkload } from "../workload/types.ts";
import { defaultLayout, type InitialLayout } from "./layout.ts";
import { LoadModel } from "./load-model.ts";
import { MetricsRecorder } from "./metrics.ts";
import { MAX_ACTIONS, type ActionRecord, type HostEvent } from "./policy-run.ts";
import type { HeldPiece, SimShardlet } from "./types.ts";

/**
 * History a hand-off left behind: the events of `pieces` written before `until` (a tick boundary,
 * virtual ms), read-only on `host` until retention drops them or a copy takes them off it.
 */
export interface SealedHistory {
  host: number;
  pieces: HeldPiece[];
  until: number;
  bytes: number;
  /** A copy off its host is under way. */
  moving: boolean;
}

/** Work the engine has started and finishes at `endsAt` (virtual ms); `seq` orders equal ends. */
export type Job =
  | { kind: "split"; seq: number; endsAt: number; s: SimShardlet; at: number }
  | { kind: "merge"; seq: number; endsAt: number; left: SimShardlet; right: SimShardlet }
  | { kind: "move"; seq: number; endsAt: number; s: SimShardlet; from: number; to: number; phase: "copy" | "verify"; bytes: number }
  | { kind: "handoff"; seq: number; endsAt: number; s: SimShardlet; from: number; to: number }
  | { kind: "history"; seq: number; endsAt: number; h: SealedHistory; from: number; to: number; phase: "copy" | "verify"; bytes: number }
  | { kind: "cleanup"; seq: number; endsAt: number; host: number };

export type SlotStatus = "free" | "provisioning" | "active" | "draining" | "gone";

/**
 * Everything one run changes as it goes: the host slots, the routed shardlets, the jobs in flight
 * and the recorders. The engine's phases (`jobs.ts`, `membership.ts`, `decisions.ts`) share it.
 */
export interface EngineState {
  readonly w: SimWorkload;
  readonly config: SimConfig;
  readonly cl: ClusterConfig;
  readonly lifecycle: PolicyConfig["lifecycle"];
  readonly caps: SimConfig["capacity"];
  readonly model: LoadModel;
  readonly tickMs: number;
  readonly ticks: number;
  readonly warmupMs: number;
  /** First measured tick (see `runClock`). */
  readonly measuredFromTick: number;
  readonly windowTicks: number;
  readonly retentionMs: number;
  readonly bytesPerTick: number;
  readonly steady: boolean;

  /** Host slots: every host the run may use has one from the start (see `createEngineState`). */
  readonly n: number;
  readonly slotHost: PlacementHost[];
  readonly hostIds: string[];
  readonly hostIndex: Map<string, number>;
  readonly status: SlotStatus[];
  readonly addedAt: Float64Array;
  readonly readyAt: Float64Array;
  readonly newHostCapacity: number;
  readonly newHostBytes: number;
  /** Write capacity of each slot while it serves; 0 while provisioning, removed or unused. */
  readonly capacity: Float64Array;
  readonly events: Float64Array;
  readonly overhead: Float64Array;
  readonly movesOn: Int32Array;
  /** When each hand-off lane of each host is free (`lanes[host * maxMigrationsPerHost + k]`, virtual ms). */
  readonly lanes: Float64Array;
  /** History sealed by hand-offs and not yet expired. */
  sealed: SealedHistory[];
  readonly hostEvents: HostEvent[];
  hosts: PlacementHost[];
  hostsDirty: boolean;

  readonly streams: Map<string, SimStream>;
  readonly announcements: Map<string, LoadAnnouncement[]>;
  readonly metrics: MetricsRecorder;
  readonly byId: Map<string, SimShardlet>;
  readonly busy: Set<string>;
  readonly inFlightMoves: Map<string, string>;
  readonly recentMoves: Map<string, number>;
  readonly unsplittable: Set<string>;
  readonly actions: ActionRecord[];
  readonly historyCache: Map<string, { bucket: number; values: number[] }>;
  jobs: Job[];
  seq: number;
  nextId: number;
  live: SimShardlet[];
  liveDirty: boolean;
}

export interface EngineInput {
  workload: SimWorkload;
  config: SimConfig;
  /** Start layout; default: `defaultLayout` of the config's cluster. */
  layout?: InitialLayout;
}

/**
 * A run's ticks: their length, how many the workload spans, and the warm-up before measuring
 * starts (ticks whose start is at or past `warmupMs` are measured, from `measuredFromTick` on).
 */
export function runClock(w: Pick<SimWorkload, "buckets" | "bucketMs">, config: Pick<SimConfig, "cluster" | "warmupBuckets">): { tickMs: number; ticks: number; warmupMs: number; measuredFromTick: number } {
  const tickMs = Math.round(config.cluster.tickMinutes * 60_000);
  if (!(tickMs > 0)) throw new ShardcastError("bad_request", "tickMinutes must be positive");
  const ticks = Math.floor((w.buckets * w.bucketMs) / tickMs);
  if (ticks < 1) throw new ShardcastError("bad_request", "the workload is shorter than one tick");
  const warmupMs = config.warmupBuckets * w.bucketMs;
  return { tickMs, ticks, warmupMs, measuredFromTick: Math.min(ticks, Math.ceil(warmupMs / tickMs)) };
}

/** The run's start: host slots from the layout (and free ones up to the maximum), its shardlets routed. */
export function createEngineState(opts: EngineInput): EngineState {
  const { workload: w, config } = opts;
  const cl = config.cluster;
  const lifecycle = config.policy.lifecycle;
  const model = new LoadModel(w);
  const { tickMs, ticks, warmupMs, measuredFromTick } = runClock(w, config);
  const windowTicks = Math.max(1, Math.round((cl.retentionHours * 3_600_000) / tickMs));
  const retentionMs = windowTicks * tickMs;
  const tickSec = tickMs / 1000;
  const bytesPerTick = cl.eventBytes * tickSec;
  const layout = opts.layout ?? defaultLayout(w, cl, lifecycle.initialCapacityBytes);
  const steady = cl.startSizes === "steady";

  const caps = config.capacity;
  // Every host the run may use has a slot from the start: the layout's hosts, then room up to the maximum.
  const n = Math.max(layout.hosts.length, caps.maxHosts);
  const slotHost: PlacementHost[] = layout.hosts.map((h) => ({ ...h, sizeBytes: 0 }));
  const hostIds = slotHost.map((h) => h.id);
  const hostIndex = new Map(hostIds.map((id, i) => [id, i]));
  const status: SlotStatus[] = Array.from({ length: n }, (_, i) => (i < slotHost.length ? (slotHost[i]!.status === "down" ? "gone" : slotHost[i]!.status) : "free"));
  const newHostCapacity = layout.hosts.length > 0 ? layout.hosts.reduce((a, h) => a + h.capacityEventsPerSec, 0) / layout.hosts.length : cl.hostCapacityEventsPerSec;
  const newHostBytes = layout.hosts.length > 0 ? Math.max(...layout.hosts.map((h) => h.capacityBytes)) : cl.hostCapacityBytes;
  // Write capacity of each slot while it serves; 0 while provisioning, removed or unused.
  const capacity = new Float64Array(n);
  for (let i = 0; i < slotHost.length; i++) if (status[i] === "active" || status[i] === "draining") capacity[i] = slotHost[i]!.capacityEventsPerSec;
  const announcements = new Map<string, LoadAnnouncement[]>();
  for (const a of w.announcements) {
    const list = announcements.get(a.streamId);
    if (list) list.push(a);
    else announcements.set(a.streamId, [a]);
  }

  const st: EngineState = {
    w,
    config,
    cl,
    lifecycle,
    caps,
    model,
    tickMs,
    ticks,
    warmupMs,
    measuredFromTick,
    windowTicks,
    retentionMs,
    bytesPerTick,
    steady,
    n,
    slotHost,
    hostIds,
    hostIndex,
    status,
    addedAt: new Float64Array(n).fill(NaN),
    readyAt: new Float64Array(n),
    newHostCapacity,
    newHostBytes,
    capacity,
    events: new Float64Array(n),
    overhead: new Float64Array(n),
    movesOn: new Int32Array(n),
    lanes: new Float64Array(n * Math.max(1, cl.maxMigrationsPerHost)),
    sealed: [],
    hostEvents: [],
    hosts: [],
    hostsDirty: true,
    streams: new Map(w.streams.map((s) => [s.id, s])),
    announcements,
    metrics: new MetricsRecorder(n, ticks, cl.latencyCapMs),
    byId: new Map(),
    busy: new Set(),
    inFlightMoves: new Map(),
    recentMoves: new Map(),
    unsplittable: new Set(),
    actions: [],
    historyCache: new Map(),
    jobs: [],
    seq: 0,
    nextId: 0,
    live: [],
    liveDirty: true,
  };

  for (const l of layout.shardlets) {
    const host = hostIndex.get(l.hostId);
    if (host === undefined) throw new ShardcastError("bad_request", `layout puts shardlet ${l.id} on unknown host ${l.hostId}`);
    const [ka, kb] = keysOf(st, l.streamId, l.lo, l.hi);
    const rate = model.rateAt(ka, kb, tickMs / 2);
    st.byId.set(l.id, {
      id: l.id,
      streamId: l.streamId,
      shardId: l.shardId,
      lo: l.lo,
      hi: l.hi,
      hostId: l.hostId,
      host,
      state: "active",
      sizeBytes: steady ? windowBytes(st, ka, kb, -1) : Math.max(0, l.sizeBytes ?? 0),
      capacityBytes: l.capacityBytes,
      writeRate: rate,
      load: rate,
      parentId: null,
      ka,
      kb,
      rate,
    });
  }
  return st;
}

export function keysOf(st: EngineState, streamId: string, lo: number, hi: number): [number, number] {
  const stream = st.streams.get(streamId);
  if (!stream) throw new ShardcastError("bad_request", `layout names stream ${streamId}, which the workload does not have`);
  return [lowerBound(st.w.keyHashes, stream.keyStart, stream.keyEnd, lo), lowerBound(st.w.keyHashes, stream.keyStart, stream.keyEnd, hi)];
}

/**
 * Bytes kept for keys [ka, kb) as of tick i: the writes of the last `windowTicks` ticks (those
 * written from `from` on). Before the start, a steady run repeats the first window; a run from a
 * real layout wrote nothing.
 */
export function windowBytes(st: EngineState, ka: number, kb: number, i: number, from = Number.NEGATIVE_INFINITY): number {
  let sum = 0;
  for (let j = i - st.windowTicks + 1; j <= i; j++) {
    let t = (j + 0.5) * st.tickMs;
    if (t < from) continue;
    if (t < 0) {
      if (!st.steady) continue;
      t += st.retentionMs;
    }
    sum += st.model.rateAt(ka, kb, t);
  }
  return sum * st.bytesPerTick;
}

/** Records an action started, up to `MAX_ACTIONS`. */
export function record(st: EngineState, t: number, kind: ActionRecord["kind"], s: SimShardlet, source: string, extra: Partial<ActionRecord> = {}): void {
  if (st.actions.length < MAX_ACTIONS) st.actions.push({ t, kind, shardletId: s.id, hostId: s.hostId, source, streamId: s.streamId, lo: s.lo, hi: s.hi, ...extra });
}

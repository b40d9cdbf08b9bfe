import { chooseSplitPoint, planDrain, ShardcastError, type CapacityHost, type PlacementHost } from "@shardcast/core";
import type { SimConfig } from "../config.ts";
import { lowerBound } from "../workload/builder.ts";
import type { LoadAnnouncement, SimWorkload } from "../workload/types.ts";
import { defaultLayout, type InitialLayout } from "./layout.ts";
import { LoadModel } from "./load-model.ts";
import { MetricsRecorder, type PolicyMetrics } from "./metrics.ts";
import type { Decision, MoveRequest, Policy, PolicyView, SimShardlet } from "./types.ts";

export interface ActionRecord {
  /** Virtual time the action started, ms. */
  t: number;
  kind: "split" | "merge" | "move";
  shardletId: string;
  hostId: string;
  destHostId?: string;
  bytes?: number;
  source: string;
  /** Key range of the shardlet, for tests and reports. */
  streamId: string;
  lo: number;
  hi: number;
}

/** A change of the cluster's membership. */
export interface HostEvent {
  /** Virtual time, ms. */
  t: number;
  kind: "requested" | "ready" | "draining" | "removed" | "drain_cancelled";
  hostId: string;
}

export interface PolicyRun {
  policy: string;
  metrics: PolicyMetrics;
  /** Every host slot the run used (the start layout's hosts first, then added ones in order). */
  hostIds: string[];
  /** Hosts serving (active or draining) and hosts paid for (provisioning too), per tick. */
  hostsServing: Uint16Array;
  hostsPaid: Uint16Array;
  /** True cluster write rate per tick (events/s, at the tick's middle). */
  clusterLoad: Float32Array;
  /** The policy's capacity plan per tick: the load it planned for (NaN without a plan) and the hosts it wanted. */
  planForecast: Float32Array;
  planHostsNeeded: Uint16Array;
  /** Hosts asked for, ready, drained and removed (warm-up included). */
  hostEvents: HostEvent[];
  ticks: number;
  tickMs: number;
  /** First measured tick (the warm-up ends there). */
  measuredFromTick: number;
  /** Utilisation per (tick, host slot): `util[tick * hostIds.length + h]`. */
  util: Float32Array;
  /** Ms of each tick with a host above capacity (warm-up included). */
  violationMs: Float32Array;
  /** Every split, merge and migration started (warm-up included), up to `MAX_ACTIONS`. */
  actions: ActionRecord[];
  /** Wall-clock time of the run (not part of any result that must repeat). */
  wallMs: number;
}

export interface SimulateOptions {
  workload: SimWorkload;
  config: SimConfig;
  policy: Policy;
  /** Start layout; default: `defaultLayout` of the config's cluster. */
  layout?: InitialLayout;
  /** Called about every 5% of the run with the fraction done. */
  onProgress?: (fraction: number) => void;
}

export const MAX_ACTIONS = 50_000;

type Job =
  | { kind: "split"; seq: number; endsAt: number; s: SimShardlet; at: number }
  | { kind: "merge"; seq: number; endsAt: number; left: SimShardlet; right: SimShardlet }
  | { kind: "move"; seq: number; endsAt: number; s: SimShardlet; from: number; to: number; phase: "copy" | "verify"; bytes: number }
  | { kind: "cleanup"; seq: number; endsAt: number; host: number };

type SlotStatus = "free" | "provisioning" | "active" | "draining" | "gone";

/**
 * Runs one policy over a workload on a virtual clock. Each tick: loads advance (interpolated
 * between bucket means), sizes follow the retention window, the policy decides from what it can
 * observe (the previous tick's rates, complete buckets of history), the engine starts what was
 * decided (splits and merges lock the shardlet for `splitSec`; a migration copies for setup plus
 * bytes / bandwidth and verifies, with the shardlet's writes shadowed to the destination and the
 * copy's share of both hosts taken meanwhile, then switches the load and cleans up the source),
 * hosts asked for are paid from the request and serve after `provisionSec`, drained hosts have
 * their shardlets moved off (`planDrain`) and are removed once empty, and the metrics integrate
 * the tick exactly between completions. Deterministic: no clock, no randomness beyond the workload's seed.
 */
export function simulate(opts: SimulateOptions): PolicyRun {
  const steps = simulation(opts);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** Ticks per slice of `simulation`: small enough that a caller yielding between slices stays responsive. */
export const SLICE_TICKS = 64;

/**
 * The run as a generator: yields the fraction done after every `SLICE_TICKS` ticks and returns
 * the result, so a server can interleave a run with other work (see `compareAsync`).
 */
export function* simulation(opts: SimulateOptions): Generator<number, PolicyRun, void> {
  const started = performance.now();
  const { workload: w, config, policy } = opts;
  const cl = config.cluster;
  const lifecycle = config.policy.lifecycle;
  const model = new LoadModel(w);
  const tickMs = Math.round(cl.tickMinutes * 60_000);
  if (!(tickMs > 0)) throw new ShardcastError("bad_request", "tickMinutes must be positive");
  const ticks = Math.floor((w.buckets * w.bucketMs) / tickMs);
  if (ticks < 1) throw new ShardcastError("bad_request", "the workload is shorter than one tick");
  const warmupMs = config.warmupBuckets * w.bucketMs;
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
  const addedAt = new Float64Array(n).fill(NaN);
  const readyAt = new Float64Array(n);
  const newHostCapacity = layout.hosts.length > 0 ? layout.hosts.reduce((a, h) => a + h.capacityEventsPerSec, 0) / layout.hosts.length : cl.hostCapacityEventsPerSec;
  const newHostBytes = layout.hosts.length > 0 ? Math.max(...layout.hosts.map((h) => h.capacityBytes)) : cl.hostCapacityBytes;
  // Write capacity of each slot while it serves; 0 while provisioning, removed or unused.
  const capacity = new Float64Array(n);
  for (let i = 0; i < slotHost.length; i++) if (status[i] === "active" || status[i] === "draining") capacity[i] = slotHost[i]!.capacityEventsPerSec;
  const events = new Float64Array(n);
  const overhead = new Float64Array(n);
  const movesOn = new Int32Array(n);
  const hostEvents: HostEvent[] = [];
  let hosts: PlacementHost[] = [];
  let hostsDirty = true;
  const serving = (i: number) => status[i] === "active" || status[i] === "draining";
  const paid = (i: number) => status[i] === "active" || status[i] === "draining" || status[i] === "provisioning";
  const streams = new Map(w.streams.map((s) => [s.id, s]));
  const announcements = new Map<string, LoadAnnouncement[]>();
  for (const a of w.announcements) {
    const list = announcements.get(a.streamId);
    if (list) list.push(a);
    else announcements.set(a.streamId, [a]);
  }

  const metrics = new MetricsRecorder(n, ticks, cl.latencyCapMs);
  const hostsServing = new Uint16Array(ticks);
  const hostsPaid = new Uint16Array(ticks);
  const clusterLoad = new Float32Array(ticks);
  const planForecast = new Float32Array(ticks).fill(NaN);
  const planHostsNeeded = new Uint16Array(ticks);
  const byId = new Map<string, SimShardlet>();
  const busy = new Set<string>();
  const inFlightMoves = new Map<string, string>();
  const recentMoves = new Map<string, number>();
  const unsplittable = new Set<string>();
  const actions: ActionRecord[] = [];
  const historyCache = new Map<string, { bucket: number; values: number[] }>();
  let jobs: Job[] = [];
  let seq = 0;
  let nextId = 0;
  let live: SimShardlet[] = [];
  let liveDirty = true;

  const keysOf = (streamId: string, lo: number, hi: number): [number, number] => {
    const st = streams.get(streamId);
    if (!st) throw new ShardcastError("bad_request", `layout names stream ${streamId}, which the workload does not have`);
    return [lowerBound(w.keyHashes, st.keyStart, st.keyEnd, lo), lowerBound(w.keyHashes, st.keyStart, st.keyEnd, hi)];
  };
  /**
   * Bytes kept for keys [ka, kb) as of tick i: the writes of the last `windowTicks` ticks. Before
   * the start, a steady run repeats the first window; a run from a real layout wrote nothing.
   */
  const windowBytes = (ka: number, kb: number, i: number): number => {
    let sum = 0;
    for (let j = i - windowTicks + 1; j <= i; j++) {
      let t = (j + 0.5) * tickMs;
      if (t < 0) {
        if (!steady) continue;
        t += retentionMs;
      }
      sum += model.rateAt(ka, kb, t);
    }
    return sum * bytesPerTick;
  };

  for (const l of layout.shardlets) {
    const host = hostIndex.get(l.hostId);
    if (host === undefined) throw new ShardcastError("bad_request", `layout puts shardlet ${l.id} on unknown host ${l.hostId}`);
    const [ka, kb] = keysOf(l.streamId, l.lo, l.hi);
    const rate = model.rateAt(ka, kb, tickMs / 2);
    byId.set(l.id, {
      id: l.id,
      streamId: l.streamId,
      shardId: l.shardId,
      lo: l.lo,
      hi: l.hi,
      hostId: l.hostId,
      host,
      state: "active",
      sizeBytes: steady ? windowBytes(ka, kb, -1) : Math.max(0, l.sizeBytes ?? 0),
      capacityBytes: l.capacityBytes,
      writeRate: rate,
      load: rate,
      parentId: null,
      ka,
      kb,
      rate,
    });
  }

  const record = (t: number, kind: ActionRecord["kind"], s: SimShardlet, source: string, extra: Partial<ActionRecord> = {}) => {
    if (actions.length < MAX_ACTIONS) actions.push({ t, kind, shardletId: s.id, hostId: s.hostId, source, streamId: s.streamId, lo: s.lo, hi: s.hi, ...extra });
  };

  const child = (parent: SimShardlet, lo: number, hi: number, sizeBytes: number, mid: number): SimShardlet => {
    const [ka, kb] = keysOf(parent.streamId, lo, hi);
    const rate = model.rateAt(ka, kb, mid);
    const s: SimShardlet = {
      id: `${parent.streamId}/${++nextId}n`,
      streamId: parent.streamId,
      shardId: parent.shardId,
      lo,
      hi,
      hostId: parent.hostId,
      host: parent.host,
      state: "active",
      sizeBytes: Math.max(0, sizeBytes),
      capacityBytes: lifecycle.initialCapacityBytes,
      writeRate: rate,
      load: rate,
      parentId: parent.id,
      ka,
      kb,
      rate,
    };
    byId.set(s.id, s);
    liveDirty = true;
    return s;
  };

  const complete = (job: Job, tick: number, measured: boolean) => {
    const mid = (tick + 0.5) * tickMs;
    if (job.kind === "split") {
      const p = job.s;
      const [la, lb] = keysOf(p.streamId, p.lo, job.at);
      // The parent's bytes divide like the writes of the window; without writes, like its keys.
      const whole = windowBytes(p.ka, p.kb, tick);
      const share = whole > 0 ? windowBytes(la, lb, tick) / whole : p.kb > p.ka ? (lb - la) / (p.kb - p.ka) : 0.5;
      const leftBytes = Math.min(p.sizeBytes, p.sizeBytes * share);
      child(p, p.lo, job.at, leftBytes, mid);
      child(p, job.at, p.hi, p.sizeBytes - leftBytes, mid);
      p.state = "retired";
      byId.delete(p.id);
      busy.delete(p.id);
      historyCache.delete(p.id);
      liveDirty = true;
    } else if (job.kind === "merge") {
      const { left, right } = job;
      child(left, left.lo, right.hi, left.sizeBytes + right.sizeBytes, mid);
      for (const s of [left, right]) {
        s.state = "retired";
        byId.delete(s.id);
        busy.delete(s.id);
        historyCache.delete(s.id);
      }
      liveDirty = true;
    } else if (job.kind === "cleanup") {
      movesOn[job.host]!--;
    } else {
      const { s, from, to } = job;
      events[from]! -= s.rate;
      events[to]! += s.rate;
      // The destination's slot frees at the switch; the source's after its cleanup.
      movesOn[to]!--;
      if (job.bytes > 0) jobs.push({ kind: "cleanup", seq: seq++, endsAt: job.endsAt + (job.bytes / (cl.migrationBytesPerSec * cl.cleanupSpeedup)) * 1000, host: from });
      else movesOn[from]!--;
      s.host = to;
      s.hostId = hostIds[to]!;
      s.state = "active";
      busy.delete(s.id);
      inFlightMoves.delete(s.id);
      recentMoves.set(s.id, job.endsAt);
      if (measured) metrics.counts.fallbackEvents += s.rate * cl.switchSec;
    }
  };

  /** Copy work on both ends of every migration, shadow writes, verification and cleanup, as events/s per host. */
  const computeOverhead = () => {
    overhead.fill(0);
    for (const j of jobs) {
      if (j.kind === "cleanup") {
        overhead[j.host]! += cl.cleanupOverhead * capacity[j.host]!;
      } else if (j.kind === "move") {
        const share = j.phase === "copy" ? cl.copyOverhead : cl.verifyOverhead;
        overhead[j.from]! += share * capacity[j.from]! + cl.shadowWriteSource * j.s.rate;
        overhead[j.to]! += share * capacity[j.to]! + cl.shadowWriteDest * j.s.rate;
      }
    }
  };

  const startMove = (r: MoveRequest, now: number, measured: boolean): boolean => {
    const s = byId.get(r.shardletId);
    const to = hostIndex.get(r.destHostId);
    const ok = s !== undefined && to !== undefined && s.state === "active" && !busy.has(s.id) && to !== s.host && status[to] === "active";
    if (!ok || movesOn[s.host]! >= cl.maxMigrationsPerHost || movesOn[to]! >= cl.maxMigrationsPerHost) {
      if (measured) metrics.counts.deferredMoves++;
      return false;
    }
    const from = s.host;
    const bytes = s.sizeBytes;
    s.state = "migrating";
    busy.add(s.id);
    inFlightMoves.set(s.id, r.destHostId);
    movesOn[from]!++;
    movesOn[to]!++;
    jobs.push({ kind: "move", seq: seq++, endsAt: now + (cl.migrationSetupSec + bytes / cl.migrationBytesPerSec) * 1000, s, from, to, phase: "copy", bytes });
    record(now, "move", s, r.source, { destHostId: r.destHostId, bytes });
    if (measured) {
      metrics.counts.migrations++;
      metrics.counts.bytesMoved += bytes;
    }
    return true;
  };

  // A removed host's slot (and id) is reused by the next host asked for: slots are the hosts a
  // cluster can have at once, so a run with many add and drain cycles never runs out of them.
  const newSlot = (): number => {
    for (let i = 0; i < n; i++) {
      if (status[i] !== "free" && status[i] !== "gone") continue;
      if (i >= hostIds.length) {
        let id = `h${i}`;
        for (let k = 1; hostIndex.has(id); k++) id = `h${i}-${k}`;
        hostIds.push(id);
        hostIndex.set(id, i);
        slotHost.push({ id, status: "active", capacityEventsPerSec: newHostCapacity, capacityBytes: newHostBytes, sizeBytes: 0 });
      }
      return i;
    }
    return -1;
  };

  /** Hosts asked for and drains: within the minimum and maximum hosts of the capacity settings. */
  const scale = (d: Decision, now: number, measured: boolean) => {
    let count = 0;
    let active = 0;
    for (let i = 0; i < n; i++) {
      if (paid(i)) count++;
      if (status[i] === "active") active++;
    }
    for (let k = 0; k < d.addHosts; k++) {
      // A host still draining is cheaper to keep than a new one: its drain is cancelled first.
      let i = status.findIndex((x) => x === "draining");
      if (i >= 0) {
        status[i] = "active";
        slotHost[i]!.status = "active";
        active++;
        hostsDirty = true;
        hostEvents.push({ t: now, kind: "drain_cancelled", hostId: hostIds[i]! });
        continue;
      }
      if (count >= caps.maxHosts) break;
      i = newSlot();
      if (i < 0) break;
      status[i] = "provisioning";
      addedAt[i] = now;
      readyAt[i] = now + cl.provisionSec * 1000;
      count++;
      hostEvents.push({ t: now, kind: "requested", hostId: hostIds[i]! });
      if (measured) metrics.counts.hostsAdded++;
    }
    for (const id of d.drainHosts) {
      const i = hostIndex.get(id);
      if (i === undefined || status[i] !== "active" || active - 1 < caps.minHosts) continue;
      status[i] = "draining";
      slotHost[i]!.status = "draining";
      active--;
      hostsDirty = true;
      hostEvents.push({ t: now, kind: "draining", hostId: id });
    }
  };

  /** Moves off draining hosts while they have shardlets and free migration slots; removal once empty. */
  const drainStep = (now: number, measured: boolean) => {
    for (let i = 0; i < n; i++) {
      if (status[i] !== "draining") continue;
      let held = 0;
      for (const s of live) if (s.host === i) held++;
      if (held === 0 && movesOn[i] === 0) {
        status[i] = "gone";
        capacity[i] = 0;
        hostsDirty = true;
        hostEvents.push({ t: now, kind: "removed", hostId: hostIds[i]! });
        if (measured) metrics.counts.hostsRemoved++;
        continue;
      }
      const free = cl.maxMigrationsPerHost - movesOn[i]!;
      if (free <= 0 || held === 0) continue;
      const plan = planDrain(hostIds[i]!, { hosts, shardlets: live, settings: config.policy.rebalance, inFlight: busy, inFlightMoves, now }, { limit: free });
      for (const p of plan.proposals) startMove({ shardletId: p.shardletId, destHostId: p.destHostId, reason: p.reason, source: "drain" }, now, measured);
    }
  };

  const apply = (d: Decision, now: number, measured: boolean) => {
    const bucket = Math.floor(now / w.bucketMs);
    const minWidth = Math.max(1, lifecycle.minShardletWidth);
    for (const r of d.splits) {
      const s = byId.get(r.shardletId);
      if (!s || s.state !== "active" || busy.has(s.id)) continue;
      let point;
      if (r.at !== undefined) {
        point = chooseSplitPoint(s.lo, s.hi, r.at, minWidth);
      } else {
        const m = model.median(s.ka, s.kb, bucket);
        const profile = m === null ? null : { median: w.keyHashes[m.median]!, min: w.keyHashes[m.first]!, max: w.keyHashes[m.last]!, rows: m.loaded };
        point = chooseSplitPoint(s.lo, s.hi, profile, minWidth);
      }
      if (point.at === null) {
        unsplittable.add(s.id);
        if (measured) metrics.counts.refusedSplits++;
        continue;
      }
      s.state = "splitting";
      busy.add(s.id);
      jobs.push({ kind: "split", seq: seq++, endsAt: now + cl.splitSec * 1000, s, at: point.at });
      record(now, "split", s, r.source);
      if (measured) {
        metrics.counts.splits++;
        metrics.counts.fallbackEvents += s.rate * cl.splitSec;
      }
    }
    for (const r of d.merges) {
      const left = byId.get(r.leftId);
      const right = byId.get(r.rightId);
      if (!left || !right || left.state !== "active" || right.state !== "active" || busy.has(left.id) || busy.has(right.id)) continue;
      if (left.hi !== right.lo || left.host !== right.host || left.shardId !== right.shardId) continue;
      left.state = "merging";
      right.state = "merging";
      busy.add(left.id);
      busy.add(right.id);
      jobs.push({ kind: "merge", seq: seq++, endsAt: now + cl.splitSec * 1000, left, right });
      record(now, "merge", left, "lifecycle", { destHostId: left.hostId });
      if (measured) {
        metrics.counts.merges++;
        metrics.counts.fallbackEvents += (left.rate + right.rate) * cl.splitSec;
      }
    }
    for (const r of d.moves) startMove(r, now, measured);
    if (d.scaleOut && measured) metrics.counts.scaleSignals++;
    scale(d, now, measured);
  };

  const view: PolicyView = {
    now: 0,
    tick: 0,
    bucket: 0,
    config,
    workload: w,
    hosts,
    capacityHosts() {
      const out: CapacityHost[] = [];
      for (let i = 0; i < n; i++) {
        if (!paid(i)) continue;
        const h = slotHost[i]!;
        out.push({ id: h.id, status: status[i] as CapacityHost["status"], capacityEventsPerSec: h.capacityEventsPerSec, sizeBytes: h.sizeBytes, addedAtMs: Number.isNaN(addedAt[i]!) ? null : addedAt[i]! });
      }
      return out;
    },
    clusterHistory(steps) {
      return model.series(0, keyTotal, view.bucket - steps, view.bucket);
    },
    clusterFuture(steps) {
      const out = new Array<number>(steps);
      for (let i = 0; i < steps; i++) out[i] = model.bucketRate(0, keyTotal, view.bucket + i);
      return out;
    },
    shardlets: live,
    shardlet: (id) => byId.get(id),
    busy,
    inFlightMoves,
    recentMoves,
    unsplittable,
    history(s) {
      const cached = historyCache.get(s.id);
      if (cached && cached.bucket === view.bucket) return cached.values;
      const values = model.series(s.ka, s.kb, view.bucket - config.policy.historySteps, view.bucket);
      historyCache.set(s.id, { bucket: view.bucket, values });
      return values;
    },
    future(s, steps) {
      const out = new Array<number>(steps);
      for (let i = 0; i < steps; i++) out[i] = model.bucketRate(s.ka, s.kb, view.bucket + i);
      return out;
    },
    futureMedian(s, steps) {
      return model.futureMedianHash(s.ka, s.kb, view.bucket, view.bucket + steps) ?? undefined;
    },
    hintRange(s, steps) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const a of announcements.get(s.streamId) ?? []) {
        if (a.knownFromBucket > view.bucket || a.toBucket <= view.bucket || a.fromBucket >= view.bucket + steps) continue;
        const l = Math.max(a.lo, s.lo);
        const h = Math.min(a.hi, s.hi);
        if (h <= l) continue;
        lo = Math.min(lo, l);
        hi = Math.max(hi, h);
      }
      return hi > lo ? { lo, hi } : undefined;
    },
    hints(s, steps) {
      const list = announcements.get(s.streamId);
      if (!list) return undefined;
      let out: number[] | undefined;
      for (const a of list) {
        if (a.knownFromBucket > view.bucket || a.toBucket <= view.bucket || a.fromBucket >= view.bucket + steps) continue;
        const overlap = Math.min(a.hi, s.hi) - Math.max(a.lo, s.lo);
        if (overlap <= 0) continue;
        const extra = (a.rate * overlap) / (a.hi - a.lo);
        out ??= new Array<number>(steps).fill(s.load);
        for (let i = 0; i < steps; i++) {
          const b = view.bucket + i;
          if (b >= a.fromBucket && b < a.toBucket) out[i]! += extra;
        }
      }
      return out;
    },
  };

  const keyTotal = w.keyHashes.length;
  const progressEvery = Math.max(1, Math.floor(ticks / 20));
  for (let tick = 0; tick < ticks; tick++) {
    const t0 = tick * tickMs;
    const t1 = t0 + tickMs;
    const mid = t0 + tickMs / 2;
    const measured = t0 >= warmupMs;
    // Hosts whose provisioning is over serve from this tick on.
    for (let i = 0; i < n; i++) {
      if (status[i] !== "provisioning" || readyAt[i]! > t0) continue;
      status[i] = "active";
      slotHost[i]!.status = "active";
      capacity[i] = slotHost[i]!.capacityEventsPerSec;
      hostsDirty = true;
      hostEvents.push({ t: t0, kind: "ready", hostId: hostIds[i]! });
    }
    if (liveDirty) {
      live = [...byId.values()];
      view.shardlets = live;
      liveDirty = false;
    }
    events.fill(0);
    for (const h of slotHost) h.sizeBytes = 0;
    let expired = mid - retentionMs;
    if (expired < 0) expired = steady ? expired + retentionMs : -1;
    for (const s of live) {
      if (tick > 0) {
        s.writeRate = s.rate;
        s.load = s.rate;
        s.rate = model.rateAt(s.ka, s.kb, mid);
        s.sizeBytes = Math.max(0, s.sizeBytes + (s.rate - (expired < 0 ? 0 : model.rateAt(s.ka, s.kb, expired))) * bytesPerTick);
      }
      events[s.host]! += s.rate;
      slotHost[s.host]!.sizeBytes += s.sizeBytes;
      clusterLoad[tick]! += s.rate;
    }
    if (hostsDirty) {
      hosts = slotHost.filter((_, i) => serving(i));
      view.hosts = hosts;
      hostsDirty = false;
    }
    if (live.length > metrics.counts.shardletsMax && measured) metrics.counts.shardletsMax = live.length;

    view.now = t0;
    view.tick = tick;
    const bucket = Math.floor(t0 / w.bucketMs);
    // A refused split is asked for again once the load has moved on (the next bucket).
    if (bucket !== view.bucket) unsplittable.clear();
    view.bucket = bucket;
    const decision = policy.decide(view);
    apply(decision, t0, measured);
    if (decision.plan) {
      planForecast[tick] = decision.plan.forecast;
      planHostsNeeded[tick] = decision.plan.hostsNeeded;
    }
    if (hostsDirty) {
      hosts = slotHost.filter((_, i) => serving(i));
      view.hosts = hosts;
      hostsDirty = false;
    }
    drainStep(t0, measured);
    if (hostsDirty) {
      hosts = slotHost.filter((_, i) => serving(i));
      view.hosts = hosts;
      hostsDirty = false;
    }
    let servingNow = 0;
    let paidNow = 0;
    for (let i = 0; i < n; i++) {
      if (serving(i)) servingNow++;
      if (paid(i)) paidNow++;
    }
    hostsServing[tick] = servingNow;
    hostsPaid[tick] = paidNow;
    metrics.hostTime(tickMs, paidNow, measured);
    computeOverhead();

    // Integrate the tick between job completions; a copy that ends starts its verification, which
    // may end within the same tick.
    let cursor = t0;
    const due = jobs.filter((j) => j.endsAt < t1).sort((a, b) => a.endsAt - b.endsAt || a.seq - b.seq);
    if (due.length > 0) jobs = jobs.filter((j) => j.endsAt >= t1);
    while (due.length > 0) {
      const job = due.shift()!;
      const at = Math.max(cursor, job.endsAt);
      metrics.segment(tick, at - cursor, events, overhead, capacity, measured);
      cursor = at;
      const before = jobs.length;
      if (job.kind === "move" && job.phase === "copy") {
        job.phase = "verify";
        job.endsAt = at + (job.bytes / (cl.migrationBytesPerSec * cl.verifySpeedup)) * 1000;
        jobs.push(job);
      } else {
        complete(job, tick, measured);
      }
      // Jobs that began above (verification, cleanup) and end within this tick join the due list in order.
      for (let k = jobs.length - 1; k >= before; k--) {
        const j = jobs[k]!;
        if (j.endsAt >= t1) continue;
        jobs.splice(k, 1);
        let pos = due.findIndex((x) => x.endsAt > j.endsAt || (x.endsAt === j.endsAt && x.seq > j.seq));
        if (pos < 0) pos = due.length;
        due.splice(pos, 0, j);
      }
      computeOverhead();
    }
    metrics.segment(tick, t1 - cursor, events, overhead, capacity, measured);
    metrics.endTick(tick, measured);
    if (opts.onProgress && (tick + 1) % progressEvery === 0) opts.onProgress((tick + 1) / ticks);
    if ((tick + 1) % SLICE_TICKS === 0) yield (tick + 1) / ticks;
  }

  // Utilisation per (tick, host) for the host slots the run used (`util[tick * hostIds.length + h]`).
  const used = hostIds.length;
  let util = metrics.util;
  if (used < n) {
    util = new Float32Array(ticks * used);
    for (let t = 0; t < ticks; t++) util.set(metrics.util.subarray(t * n, t * n + used), t * used);
  }
  return {
    policy: policy.name,
    metrics: metrics.finish(byId.size),
    hostIds,
    hostsServing,
    hostsPaid,
    clusterLoad,
    planForecast,
    planHostsNeeded,
    hostEvents,
    ticks,
    tickMs,
    measuredFromTick: Math.min(ticks, Math.ceil(warmupMs / tickMs)),
    util,
    violationMs: metrics.violationMs,
    actions,
    wallMs: performance.now() - started,
  };
}

import { ContentModel, decidePrealloc, keyHash, type PreallocDecision, type PrecursorStream } from "@shardcast/core";
import { HASH_SPACE, lockedAt, TICK_MS, type Host, type Shardlet } from "./cluster.ts";
import { SimSkillGate } from "./sim-gate.ts";
import { DEFAULT_PREALLOC_SIM, emptyPreallocResult, percentile, qualitySince, type PreallocSimConfig, type PreallocSimResult } from "./sim-config.ts";

export { DEFAULT_PREALLOC_SIM, type PreallocSimConfig, type PreallocSimResult } from "./sim-config.ts";
export { preallocWorkload, trainSimContentModel } from "./workload.ts";

export function simulatePrealloc(stream: PrecursorStream, partial: Partial<PreallocSimConfig> = {}, policy = "predictive"): PreallocSimResult {
  const cfg = { ...DEFAULT_PREALLOC_SIM, ...partial };
  let nextId = 0;
  const shardlets: Shardlet[] = [];
  for (let i = 0; i < cfg.shardlets; i++) {
    shardlets.push({
      id: `s${nextId++}`,
      lo: Math.floor((i * HASH_SPACE) / cfg.shardlets),
      hi: Math.floor(((i + 1) * HASH_SPACE) / cfg.shardlets),
      host: i % cfg.hosts,
      bytes: cfg.initialShardletBytes,
      locks: [],
      busyUntilMs: 0,
      writes: 0,
      prepared: false,
      prealloc: null,
      retired: false,
      reservedPerSec: 0,
    });
  }
  const live = () => shardlets.filter((s) => !s.retired).sort((a, b) => a.lo - b.lo);
  let ordered = live();
  const lookup = (h: number): Shardlet => {
    let lo = 0;
    let hi = ordered.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ordered[mid]!.lo <= h) lo = mid;
      else hi = mid - 1;
    }
    return ordered[lo]!;
  };
  const hosts: Host[] = Array.from({ length: cfg.hosts }, () => ({ backlog: 0, tickArrivals: 0, tick: 0, copyUntilMs: 0 }));
  const rangeOf = (h: number) => `r${Math.floor((h * cfg.shardlets) / HASH_SPACE)}`;
  const hostRate = new Float64Array(cfg.hosts);
  /** Writes per second expected on each host from live parts prepared for a surge (so two surges do not meet on one host). */
  const reservedOn = (): Float64Array => {
    const r = new Float64Array(cfg.hosts);
    for (const x of ordered) r[x.host] = r[x.host]! + x.reservedPerSec;
    return r;
  };
  const hostWindow = new Float64Array(cfg.hosts);
  let windowStart = 0;
  const bursts = stream.bursts.filter((b) => b.startMs !== null);
  const inBurst = (t: number) => bursts.some((b) => t >= b.startMs! && t < b.endMs!);
  const model = cfg.aggressiveness > 0 && !cfg.oracle ? new ContentModel(cfg.model, cfg.initialModel ?? undefined) : null;
  const stepMs = model?.cfg.stepMs ?? 5_000;
  const horizonMs = model?.cfg.horizonMs ?? 120_000;
  const result = emptyPreallocResult(policy);
  const gate = new SimSkillGate(cfg.skillGate);
  // The run's own precision and recall: a model trained on history arrives with counts of its own.
  const q0 = model?.quality() ?? null;
  const latencies = new Float64Array(stream.events.length);
  const burstLatencies: number[] = [];

  /** Split `s` at `at` (a hash inside it): the lock is held meanwhile; returns the part holding `at`. */
  const split = (s: Shardlet, at: number, nowMs: number): { hot: Shardlet; rest: Shardlet } | null => {
    if (at <= s.lo || at >= s.hi) return null;
    const left: Shardlet = { ...s, reservedPerSec: 0, id: `s${nextId++}`, hi: at, bytes: s.bytes / 2, writes: 0, prealloc: null, locks: [[nowMs, nowMs + cfg.splitLockSec * 1000]], busyUntilMs: nowMs + cfg.splitLockSec * 1000 };
    const right: Shardlet = { ...s, reservedPerSec: 0, id: `s${nextId++}`, lo: at, bytes: s.bytes / 2, writes: 0, prealloc: null, locks: [[nowMs, nowMs + cfg.splitLockSec * 1000]], busyUntilMs: nowMs + cfg.splitLockSec * 1000 };
    s.retired = true;
    shardlets.push(left, right);
    ordered = live();
    return { hot: right, rest: left };
  };
  /** Moves `s` to the host with most headroom (if that is another host); returns when it is done. */
  const move = (s: Shardlet, startMs: number, expectedPerSec = 0): number => {
    let best = s.host;
    // Where the part's expected writes leave the most headroom (staying put counts them too).
    s.reservedPerSec = 0;
    const reserved = reservedOn();
    const load = (h: number) => hostRate[h]! + reserved[h]!;
    for (let h = 0; h < cfg.hosts; h++) if (load(h) < load(best)) best = h;
    s.reservedPerSec = expectedPerSec;
    if (best === s.host) return startMs;
    const copyMs = (cfg.moveSetupSec + s.bytes / cfg.copyBytesPerSec) * 1000;
    const done = startMs + copyMs;
    hosts[s.host]!.copyUntilMs = Math.max(hosts[s.host]!.copyUntilMs, done);
    hosts[best]!.copyUntilMs = Math.max(hosts[best]!.copyUntilMs, done);
    result.bytesCopied += s.bytes;
    // Shadow writes keep both copies current; the lock is only held at the switch.
    s.locks.push([done, done + cfg.switchLockSec * 1000]);
    s.busyUntilMs = Math.max(s.busyUntilMs, done + cfg.switchLockSec * 1000);
    s.host = best;
    // The host's rate follows the part (so the next move picks another host).
    return done;
  };
  /**
   * Isolates the key hash `at` in its own part (a split at the load median) and moves it to a host
   * with headroom; with `stay` (the cost model found the host can take the surge, as the product's
   * pre-allocator decides) the part only reserves its expected writes where it is.
   */
  const prepare = (s: Shardlet, at: number, nowMs: number, expectedPerSec: number, stay = false): Shardlet => {
    // Cut just below the hot key so it leads the right part; a part already starting there is only moved.
    const parts = at > s.lo ? split(s, at, nowMs) : null;
    const hot = parts ? parts.hot : s;
    hot.reservedPerSec = 0;
    if (stay) hot.reservedPerSec = expectedPerSec;
    else move(hot, nowMs + (parts ? cfg.splitLockSec * 1000 : 0), expectedPerSec);
    hot.prepared = true;
    return hot;
  };
  const release = (x: Shardlet) => {
    x.reservedPerSec = 0;
  };
  const merge = (a: Shardlet, b: Shardlet, nowMs: number) => {
    if (a.retired || b.retired || a.hi !== b.lo) return;
    // The part moves home first when it moved away, then the two merge under the lock.
    release(b);
    const done = b.host !== a.host ? move(b, nowMs) : nowMs;
    const lockUntil = done + cfg.splitLockSec * 1000;
    const merged: Shardlet = { ...a, reservedPerSec: 0, id: `s${nextId++}`, hi: b.hi, bytes: a.bytes + b.bytes, writes: 0, prepared: false, prealloc: null, locks: [[done, lockUntil]], busyUntilMs: lockUntil, host: a.host };
    a.retired = true;
    b.retired = true;
    shardlets.push(merged);
    ordered = live();
  };

  const oracleQueue = cfg.oracle
    ? stream.bursts
        .filter((b) => b.startMs !== null && b.announcedAtMs !== null)
        .map((b) => ({ atMs: b.announcedAtMs!, hash: keyHash(b.key), endMs: b.endMs! }))
        .sort((a, b) => a.atMs - b.atMs)
    : [];
  let nextManager = cfg.managerIntervalSec * 1000;
  let nextPrealloc = 0;
  const recentKeys = new Map<string, Map<number, number>>();

  stream.events.forEach((e, i) => {
    const t = e.atMs;
    // The manager: hot shardlets are prepared now (reactive), and pre-allocations are checked.
    while (t >= nextManager) {
      const interval = cfg.managerIntervalSec;
      for (const s of ordered) {
        if (s.writes / interval >= cfg.reactiveRatePerSec && t >= s.busyUntilMs) {
          const keys = recentKeys.get(s.id);
          let hot = s.lo;
          let most = -1;
          for (const [h, n] of keys ?? []) if (n > most) [hot, most] = [h, n];
          if (s.prepared && hot === s.lo) {
            // A part that already leads with its hottest key has nothing left to split; it moves if its host is overloaded.
            if (hostRate[s.host]! > 0.8 * cfg.hostCapacityPerSec && t >= hosts[s.host]!.copyUntilMs) {
              release(s);
              // A reactive move reserves nothing: the load it follows is already in the hosts' rates.
              move(s, nextManager);
              result.reactivePreparations++;
            }
            continue;
          }
          prepare(s, hot, nextManager, 0);
          result.reactivePreparations++;
        }
      }
      for (const s of ordered) {
        s.writes = 0;
        recentKeys.delete(s.id);
      }
      for (const s of [...ordered]) {
        const p = s.prealloc;
        if (!p || s.retired) continue;
        const over = p.used && model !== null && !model.tracker.surging(rangeOf(s.lo));
        if (nextManager < p.untilMs && !over) continue;
        gate.record({ hit: p.used, fallbacksIfReactive: p.fallbacksIfReactive, cost: p.cost, shadow: false });
        if (p.used) {
          // The surge came and went: its reservation is over, the part stays where it is.
          release(s);
          s.prealloc = null;
        } else {
          result.preallocWasted++;
          s.prealloc = null;
          release(s);
          if (p.sibling && !p.sibling.retired) merge(p.sibling, s, nextManager);
          else s.prepared = false;
        }
      }
      gate.tick(t);
      nextManager += interval * 1000;
    }
    if (model && t >= nextPrealloc) {
      model.advance(t);
      for (const pred of model.predictions(t, 0.05)) {
        if (pred.keyHashes.length === 0) continue;
        // Split at the predicted load median: the middle of the announcing keys.
        const announced = [...pred.keyHashes].sort((a, b) => a - b)[pred.keyHashes.length >> 1]!;
        const s = lookup(announced);
        if ((s.prepared && s.lo === announced) || t < s.busyUntilMs) continue;
        const hostLoad = hostRate[s.host]!;
        let dest = -1;
        for (let h = 0; h < cfg.hosts; h++) if (h !== s.host && (dest < 0 || hostRate[h]! < hostRate[dest]!)) dest = h;
        const decision: PreallocDecision = decidePrealloc(
          {
            prediction: pred,
            shardletBytes: s.bytes,
            splittable: s.hi - s.lo > 1,
            host: { id: String(s.host), writesPerSec: hostLoad, capacityPerSec: cfg.hostCapacityPerSec },
            destination: dest < 0 ? null : { id: String(dest), writesPerSec: hostRate[dest]!, capacityPerSec: cfg.hostCapacityPerSec },
            prepared: s.prepared && s.lo === announced,
          },
          t,
          { aggressiveness: cfg.aggressiveness, stepMs, splitLockSec: cfg.splitLockSec, copyBytesPerSec: cfg.copyBytesPerSec, moveSetupSec: cfg.moveSetupSec, fallbackPenaltyMs: cfg.fallbackPenaltyMs, holdSec: (horizonMs / 1000) + cfg.graceSec, ...cfg.cost },
        );
        if (!gate.decide(decision, rangeOf(announced), pred.horizonEndsMs + cfg.graceSec * 1000).prepare) continue;
        const before = ordered.filter((x) => x.lo < s.hi && x.hi > s.lo);
        const hot = prepare(s, announced, t, pred.expectedPeakPerStep / (stepMs / 1000), decision.action === "split");
        const sibling = ordered.find((x) => x !== hot && !x.retired && x.hi === hot.lo && !before.includes(x)) ?? null;
        hot.prealloc = { untilMs: pred.horizonEndsMs + cfg.graceSec * 1000, used: false, sibling, fallbacksIfReactive: decision.fallbacksIfReactive, cost: decision.cost };
        result.preallocations++;
      }
      nextPrealloc = t + cfg.preallocIntervalSec * 1000;
    }
    while (oracleQueue.length > 0 && oracleQueue[0]!.atMs <= t) {
      const o = oracleQueue.shift()!;
      const s = lookup(o.hash);
      if (!(s.prepared && s.lo === o.hash)) {
        const hot = prepare(s, o.hash, t, cfg.model.minSurgeEvents ?? 150);
        hot.prealloc = { untilMs: o.endMs, used: true, sibling: null, fallbacksIfReactive: 0, cost: 0 };
        result.preallocations++;
      }
    }

    const h = keyHash(e.key);
    const s = lookup(h);
    s.writes++;
    s.bytes += e.bytes;
    let keys = recentKeys.get(s.id);
    if (!keys) recentKeys.set(s.id, (keys = new Map<number, number>()));
    keys.set(h, (keys.get(h) ?? 0) + 1);
    // The model sees key ranges of the starting layout: its surges and alerts stay comparable across the splits it causes.
    const range = rangeOf(h);
    model?.observe({ type: e.type, key: e.key, atMs: t, shardletId: range });
    const surging = model?.tracker.surging(range) ?? false;
    if (s.prealloc && !s.prealloc.used && surging) s.prealloc.used = true;
    gate.observe(range, surging);

    // Host load: a sliding second per host, and a backlog per 100 ms tick.
    if (t - windowStart >= 1_000) {
      for (let x = 0; x < cfg.hosts; x++) {
        hostRate[x] = hostWindow[x]! * (1_000 / (t - windowStart));
        hostWindow[x] = 0;
      }
      windowStart = t;
    }
    const host = hosts[s.host]!;
    hostWindow[s.host]!++;
    const tick = Math.floor(t / TICK_MS);
    if (tick !== host.tick) {
      const served = (cfg.hostCapacityPerSec * (1 - (t < host.copyUntilMs ? cfg.copyLoad : 0)) * TICK_MS * (tick - host.tick)) / 1000;
      host.backlog = Math.max(0, host.backlog + host.tickArrivals - served);
      host.tickArrivals = 0;
      host.tick = tick;
    }
    host.tickArrivals++;
    const rho = Math.min(0.95, hostRate[s.host]! / cfg.hostCapacityPerSec + (t < host.copyUntilMs ? cfg.copyLoad : 0));
    let ms = cfg.serviceMs / (1 - rho) + (host.backlog / cfg.hostCapacityPerSec) * 1000;
    const burst = inBurst(t);
    if (lockedAt(s, t)) {
      ms += cfg.fallbackPenaltyMs;
      result.fallbacks++;
      if (burst) result.fallbacksInBursts++;
    }
    latencies[i] = ms;
    if (burst) burstLatencies.push(ms);
  });
  // The run ends after the last event: pre-allocations still waiting end as their grace would end them.
  for (const s of [...ordered]) {
    const p = s.prealloc;
    if (!p || s.retired || p.used) continue;
    result.preallocWasted++;
    s.prealloc = null;
    if (p.sibling && !p.sibling.retired) merge(p.sibling, s, Number.MAX_SAFE_INTEGER / 2);
  }
  gate.tick(Number.MAX_SAFE_INTEGER);
  result.gateHeld = gate.held;
  result.shadowHits = gate.shadowHits;
  result.shadowsWasted = gate.shadowsWasted;
  result.liveShardlets = ordered.length;
  result.events = stream.events.length;
  latencies.sort();
  const burstSorted = Float64Array.from(burstLatencies).sort();
  result.p99AckMs = percentile(latencies, 0.99);
  result.p99AckMsBurst = percentile(burstSorted, 0.99);
  result.p50AckMsBurst = percentile(burstSorted, 0.5);
  if (model && q0) result.quality = qualitySince(model.quality(), q0);
  return result;
}

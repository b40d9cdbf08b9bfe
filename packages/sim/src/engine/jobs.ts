import { completeHandoff, completeHistoryCopy, heldMerged, heldWithin, keptBytes, startHandoff } from "./handoff.ts";
import { keysOf, record, type EngineState, type Job } from "./state.ts";
import type { HeldPiece, MoveRequest, SimShardlet } from "./types.ts";

/**
 * The jobs in flight and their accounting: splits and merges that end in new shardlets,
 * migrations (copy, verify, switch, cleanup) with their cost on both hosts, hand-offs, and copies
 * of sealed history (handoff.ts).
 */

function child(st: EngineState, parent: SimShardlet, lo: number, hi: number, sizeBytes: number, mid: number, held?: HeldPiece[]): SimShardlet {
  const [ka, kb] = keysOf(st, parent.streamId, lo, hi);
  const rate = st.model.rateAt(ka, kb, mid);
  const s: SimShardlet = {
    id: `${parent.streamId}/${++st.nextId}n`,
    streamId: parent.streamId,
    shardId: parent.shardId,
    lo,
    hi,
    hostId: parent.hostId,
    host: parent.host,
    state: "active",
    sizeBytes: Math.max(0, sizeBytes),
    capacityBytes: st.lifecycle.initialCapacityBytes,
    writeRate: rate,
    load: rate,
    parentId: parent.id,
    ka,
    kb,
    rate,
  };
  if (held) s.held = held;
  st.byId.set(s.id, s);
  st.liveDirty = true;
  return s;
}

/** A split's parent or a merge's source, replaced by its children: no longer routed, busy or forecast. */
function retire(st: EngineState, s: SimShardlet): void {
  s.state = "retired";
  st.byId.delete(s.id);
  st.busy.delete(s.id);
  st.historyCache.delete(s.id);
  st.liveDirty = true;
}

function complete(st: EngineState, job: Job, tick: number, measured: boolean): void {
  const { cl, busy } = st;
  const mid = (tick + 0.5) * st.tickMs;
  if (job.kind === "split") {
    const p = job.s;
    const [la, lb] = keysOf(st, p.streamId, p.lo, job.at);
    // The parent's bytes divide like the writes of the window it holds; without writes, like its keys.
    const whole = keptBytes(st, p, p.ka, p.kb, tick);
    const share = whole > 0 ? keptBytes(st, p, la, lb, tick) / whole : p.kb > p.ka ? (lb - la) / (p.kb - p.ka) : 0.5;
    const leftBytes = Math.min(p.sizeBytes, p.sizeBytes * share);
    child(st, p, p.lo, job.at, leftBytes, mid, heldWithin(p.held, la, lb));
    child(st, p, job.at, p.hi, p.sizeBytes - leftBytes, mid, heldWithin(p.held, lb, p.kb));
    retire(st, p);
  } else if (job.kind === "merge") {
    const { left, right } = job;
    child(st, left, left.lo, right.hi, left.sizeBytes + right.sizeBytes, mid, heldMerged(left, right));
    retire(st, left);
    retire(st, right);
  } else if (job.kind === "cleanup") {
    st.movesOn[job.host]!--;
  } else if (job.kind === "handoff") {
    completeHandoff(st, job, tick, measured);
  } else if (job.kind === "history") {
    completeHistoryCopy(st, job);
  } else {
    const { s, from, to } = job;
    st.events[from]! -= s.rate;
    st.events[to]! += s.rate;
    // The destination's slot frees at the switch; the source's after its cleanup.
    st.movesOn[to]!--;
    if (job.bytes > 0) st.jobs.push({ kind: "cleanup", seq: st.seq++, endsAt: job.endsAt + (job.bytes / (cl.migrationBytesPerSec * cl.cleanupSpeedup)) * 1000, host: from });
    else st.movesOn[from]!--;
    s.host = to;
    s.hostId = st.hostIds[to]!;
    s.state = "active";
    busy.delete(s.id);
    st.inFlightMoves.delete(s.id);
    st.recentMoves.set(s.id, job.endsAt);
    if (measured) st.metrics.counts.fallbackEvents += s.rate * cl.switchSec;
  }
}

/** Copy work on both ends of every migration, shadow writes, verification and cleanup, as events/s per host. */
export function computeOverhead(st: EngineState): void {
  const { cl, overhead, capacity } = st;
  overhead.fill(0);
  for (const j of st.jobs) {
    if (j.kind === "cleanup") {
      overhead[j.host]! += cl.cleanupOverhead * capacity[j.host]!;
    } else if (j.kind === "move") {
      const share = j.phase === "copy" ? cl.copyOverhead : cl.verifyOverhead;
      overhead[j.from]! += share * capacity[j.from]! + cl.shadowWriteSource * j.s.rate;
      overhead[j.to]! += share * capacity[j.to]! + cl.shadowWriteDest * j.s.rate;
    } else if (j.kind === "history") {
      // Sealed events take no writes: no shadow writes, only the copy's (or verification's) share.
      const share = j.phase === "copy" ? cl.copyOverhead : cl.verifyOverhead;
      overhead[j.from]! += share * capacity[j.from]!;
      overhead[j.to]! += share * capacity[j.to]!;
    }
  }
}

export function startMove(st: EngineState, r: MoveRequest, now: number, measured: boolean): boolean {
  const { cl, movesOn, metrics } = st;
  const s = st.byId.get(r.shardletId);
  const to = st.hostIndex.get(r.destHostId);
  const ok = s !== undefined && to !== undefined && s.state === "active" && !st.busy.has(s.id) && to !== s.host && st.status[to] === "active";
  // A hand-off copies nothing: it waits for a hand-off lane, not for a copy's migration slot.
  const handoff = cl.moveModel === "handoff";
  if (!ok || (!handoff && (movesOn[s.host]! >= cl.maxMigrationsPerHost || movesOn[to]! >= cl.maxMigrationsPerHost))) {
    if (measured) metrics.counts.deferredMoves++;
    return false;
  }
  if (handoff) return startHandoff(st, s, to, r, now, measured);
  const from = s.host;
  const bytes = s.sizeBytes;
  s.state = "migrating";
  st.busy.add(s.id);
  st.inFlightMoves.set(s.id, r.destHostId);
  movesOn[from]!++;
  movesOn[to]!++;
  st.jobs.push({ kind: "move", seq: st.seq++, endsAt: now + (cl.migrationSetupSec + bytes / cl.migrationBytesPerSec) * 1000, s, from, to, phase: "copy", bytes });
  record(st, now, "move", s, r.source, { destHostId: r.destHostId, bytes });
  if (measured) {
    metrics.counts.migrations++;
    metrics.counts.bytesMoved += bytes;
  }
  return true;
}

/**
 * Integrates the tick [t0, t1) between job completions; a copy that ends starts its verification,
 * which may end within the same tick.
 */
export function integrateTick(st: EngineState, tick: number, t0: number, t1: number, measured: boolean): void {
  const { cl, metrics, events, overhead, capacity } = st;
  computeOverhead(st);
  let cursor = t0;
  const due = st.jobs.filter((j) => j.endsAt < t1).sort((a, b) => a.endsAt - b.endsAt || a.seq - b.seq);
  if (due.length > 0) st.jobs = st.jobs.filter((j) => j.endsAt >= t1);
  while (due.length > 0) {
    const job = due.shift()!;
    const at = Math.max(cursor, job.endsAt);
    metrics.segment(tick, at - cursor, events, overhead, capacity, measured);
    cursor = at;
    const jobs = st.jobs;
    const before = jobs.length;
    if ((job.kind === "move" || job.kind === "history") && job.phase === "copy") {
      job.phase = "verify";
      job.endsAt = at + (job.bytes / (cl.migrationBytesPerSec * cl.verifySpeedup)) * 1000;
      jobs.push(job);
    } else {
      complete(st, job, tick, measured);
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
    computeOverhead(st);
  }
  metrics.segment(tick, t1 - cursor, events, overhead, capacity, measured);
}

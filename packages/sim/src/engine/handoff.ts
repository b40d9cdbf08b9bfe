import { record, windowBytes, type EngineState, type Job } from "./state.ts";
import type { HeldPiece, MoveRequest, SimShardlet } from "./types.ts";

/**
 * Hand-off moves and the history they leave behind. A hand-off seals the shardlet on its host and
 * opens its successor (same range, same id here, so cool-downs and forecasts follow the range) on
 * the destination, which every edge routes the range to at once: the write load switches when the
 * hand-off ends and no byte is copied. The sealed events stay on the source, counted in its
 * storage, until retention drops them, or until a copy takes them off a host being retired.
 */

type HandoffJob = Extract<Job, { kind: "handoff" }>;
type HistoryJob = Extract<Job, { kind: "history" }>;

const lanesOf = (st: EngineState) => Math.max(1, st.cl.maxMigrationsPerHost);

function freestLane(st: EngineState, host: number): number {
  const per = lanesOf(st);
  let best = host * per;
  for (let k = best + 1; k < (host + 1) * per; k++) if (st.lanes[k]! < st.lanes[best]!) best = k;
  return best;
}

/**
 * Starts a hand-off in the first lane both hosts have free. A tick's hand-offs on a host run back
 * to back in its lanes; one that could not start within this tick waits for the next scan.
 */
export function startHandoff(st: EngineState, s: SimShardlet, to: number, r: MoveRequest, now: number, measured: boolean): boolean {
  const a = freestLane(st, s.host);
  const b = freestLane(st, to);
  const start = Math.max(now, st.lanes[a]!, st.lanes[b]!);
  if (start >= now + st.tickMs) {
    if (measured) st.metrics.counts.deferredMoves++;
    return false;
  }
  const endsAt = start + st.cl.handoffSec * 1000;
  st.lanes[a] = endsAt;
  st.lanes[b] = endsAt;
  s.state = "migrating";
  st.busy.add(s.id);
  st.inFlightMoves.set(s.id, r.destHostId);
  st.jobs.push({ kind: "handoff", seq: st.seq++, endsAt, s, from: s.host, to });
  record(st, now, "move", s, r.source, { destHostId: r.destHostId, bytes: 0 });
  if (measured) st.metrics.counts.migrations++;
  return true;
}

/**
 * The hand-off's switch. The size update at a tick's start adds the whole tick's writes, so the
 * sealed history holds every write up to the end of this tick and the successor those after it.
 */
export function completeHandoff(st: EngineState, job: HandoffJob, tick: number, measured: boolean): void {
  const { s, from, to } = job;
  st.events[from]! -= s.rate;
  st.events[to]! += s.rate;
  const boundary = (tick + 1) * st.tickMs;
  if (s.sizeBytes > 0) st.sealed.push({ host: from, pieces: s.held ?? [{ ka: s.ka, kb: s.kb, from: Number.NEGATIVE_INFINITY }], until: boundary, bytes: s.sizeBytes, moving: false });
  s.sizeBytes = 0;
  s.held = [{ ka: s.ka, kb: s.kb, from: boundary }];
  s.host = to;
  s.hostId = st.hostIds[to]!;
  s.state = "active";
  st.busy.delete(s.id);
  st.inFlightMoves.delete(s.id);
  st.recentMoves.set(s.id, job.endsAt);
  // Its writes were fenced from the seal until the successor was routed: they took the overflow log.
  if (measured) st.metrics.counts.fallbackEvents += s.rate * st.cl.handoffSec;
}

/** Events/s of keys [ka, kb) expiring at virtual time `ev`, the write time one retention window back. */
function expiring(st: EngineState, ka: number, kb: number, ev: number): number {
  if (ev >= 0) return st.model.rateAt(ka, kb, ev);
  // A steady run repeats its first window before the start.
  return st.steady ? st.model.rateAt(ka, kb, ev + st.retentionMs) : 0;
}

function piecesExpiring(st: EngineState, pieces: readonly HeldPiece[], ev: number): number {
  let sum = 0;
  for (const p of pieces) if (ev >= p.from) sum += expiring(st, p.ka, p.kb, ev);
  return sum;
}

/**
 * Events/s a handed-off shardlet loses to retention at `ev`: only what it holds. Once every piece
 * is past its `from`, it holds a whole window again and is accounted like any other shardlet.
 */
export function heldExpiring(st: EngineState, s: SimShardlet, held: readonly HeldPiece[], ev: number): number {
  const out = piecesExpiring(st, held, ev);
  if (held.every((p) => ev >= p.from)) s.held = undefined;
  return out;
}

/**
 * Sealed history ages like a shardlet that stopped writing, and is dropped once retention has
 * passed its last write; what is left counts against its host's storage.
 */
export function ageSealed(st: EngineState, ev: number, aging: boolean): void {
  let kept = 0;
  for (const h of st.sealed) {
    if (aging) {
      h.bytes = ev >= h.until ? 0 : Math.max(0, h.bytes - piecesExpiring(st, h.pieces, ev) * st.bytesPerTick);
      // A copy under way keeps its history until it lands (its job holds it).
      if (!(h.bytes > 0) && !h.moving) continue;
    }
    st.slotHost[h.host]!.sizeBytes += h.bytes;
    st.sealed[kept++] = h;
  }
  st.sealed.length = kept;
}

/** Bytes held by a shardlet for keys [ka, kb) as of `tick` (its pieces from when it holds them). */
export function keptBytes(st: EngineState, s: SimShardlet, ka: number, kb: number, tick: number): number {
  if (!s.held) return windowBytes(st, ka, kb, tick);
  let sum = 0;
  for (const p of s.held) {
    const a = Math.max(p.ka, ka);
    const b = Math.min(p.kb, kb);
    if (b > a) sum += windowBytes(st, a, b, tick, p.from);
  }
  return sum;
}

/** A split child's pieces: the parent's within its keys. */
export function heldWithin(held: readonly HeldPiece[] | undefined, ka: number, kb: number): HeldPiece[] | undefined {
  if (!held) return undefined;
  return held.flatMap((p) => (Math.min(p.kb, kb) > Math.max(p.ka, ka) ? [{ ka: Math.max(p.ka, ka), kb: Math.min(p.kb, kb), from: p.from }] : []));
}

/** A merge's pieces: both sides', a side without any holding its whole window. */
export function heldMerged(left: SimShardlet, right: SimShardlet): HeldPiece[] | undefined {
  if (!left.held && !right.held) return undefined;
  const whole = (s: SimShardlet): HeldPiece[] => s.held ?? [{ ka: s.ka, kb: s.kb, from: Number.NEGATIVE_INFINITY }];
  return [...whole(left), ...whole(right)];
}

/**
 * Copies the history sealed on a host being retired onto the active hosts with the most free
 * storage, largest first, while both ends have a migration slot: the copying mover at its budget,
 * with its share of both hosts while it copies and verifies, then a cleanup of the source.
 */
export function copyHistoryOff(st: EngineState, host: number, now: number, measured: boolean): void {
  const { cl, movesOn } = st;
  const mine = st.sealed.filter((h) => h.host === host && !h.moving).sort((a, b) => b.bytes - a.bytes);
  for (const h of mine) {
    if (movesOn[host]! >= cl.maxMigrationsPerHost) return;
    let to = -1;
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < st.n; i++) {
      if (st.status[i] !== "active" || movesOn[i]! >= cl.maxMigrationsPerHost) continue;
      const cap = st.slotHost[i]!.capacityBytes;
      const full = cap > 0 ? (st.slotHost[i]!.sizeBytes + h.bytes) / cap : Number.POSITIVE_INFINITY;
      if (full <= 1 && full < best) [to, best] = [i, full];
    }
    if (to < 0) return;
    h.moving = true;
    movesOn[host]!++;
    movesOn[to]!++;
    // Counted on the destination at once, so the next copy of this scan goes elsewhere if it is fuller.
    st.slotHost[to]!.sizeBytes += h.bytes;
    st.jobs.push({ kind: "history", seq: st.seq++, endsAt: now + (cl.migrationSetupSec + h.bytes / cl.migrationBytesPerSec) * 1000, h, from: host, to, phase: "copy", bytes: h.bytes });
    if (measured) {
      st.metrics.counts.bytesMoved += h.bytes;
      st.metrics.counts.historyBytesMoved += h.bytes;
    }
  }
}

export function completeHistoryCopy(st: EngineState, job: HistoryJob): void {
  const { cl } = st;
  job.h.host = job.to;
  job.h.moving = false;
  st.movesOn[job.to]!--;
  if (job.bytes > 0) st.jobs.push({ kind: "cleanup", seq: st.seq++, endsAt: job.endsAt + (job.bytes / (cl.migrationBytesPerSec * cl.cleanupSpeedup)) * 1000, host: job.from });
  else st.movesOn[job.from]!--;
}

/** Sealed history (moving or not) still on `host`. */
export function sealedOn(st: EngineState, host: number): number {
  let count = 0;
  for (const h of st.sealed) if (h.host === host) count++;
  return count;
}

import { formatBytes } from "../format.ts";
import { fmtRate } from "./format.ts";
import { bandwidthCheck, buildModel, bytesLimit, headroomCheck, loadLimit, shardletLabel, windowCheck, type HostModel } from "./model.ts";
import type { RebalanceInput } from "./rebalance.ts";
import type { MoveProposal, PlacementNote, PlacementResult, PlacementShardlet } from "./types.ts";

/**
 * Moves for every shardlet on a host that is being drained (emptied before it is retired), each to
 * the active host with the most room left after taking it (load and bytes, as fractions of
 * capacity), heaviest shardlet first so the result stays balanced. Hysteresis, cool-down and the
 * minimum benefit do not apply: the operator decided the host must be emptied. `limit` bounds the
 * moves returned (the caller keeps that many open at a time); the rest are planned on a later run.
 */
export function planDrain(hostId: string, input: RebalanceInput, opts: { limit?: number } = {}): PlacementResult {
  const { settings, now } = input;
  const model = buildModel(input);
  const proposals: MoveProposal[] = [];
  const notes: PlacementNote[] = [];
  const src = model.hosts.get(hostId);
  if (!src) return { proposals, notes: [{ hostId, message: `Host ${hostId} is not registered: nothing to drain.` }] };

  const waiting: PlacementShardlet[] = [];
  let moving = 0;
  let inactive = 0;
  for (const s of src.shardlets) {
    if (input.inFlight?.has(s.id) || input.inFlightMoves?.has(s.id)) moving++;
    else if (s.state !== "active") inactive++;
    else waiting.push(s);
  }
  if (waiting.length === 0 && moving === 0 && inactive === 0) {
    notes.push({ hostId, message: `${src.label} is draining and holds no shardlet any more: it can be retired.` });
    return { proposals, notes };
  }
  if (inactive > 0) {
    notes.push({ hostId, message: `${src.label} is draining: ${inactive} shardlet${inactive === 1 ? " is" : "s are"} splitting or merging and will be moved once that finishes.` });
  }
  const dests = model.active.filter((h) => h !== src);
  if (dests.length === 0 && waiting.length > 0) {
    notes.push({ hostId, message: `${src.label} is draining but there is no other active host to move its ${waiting.length} shardlet${waiting.length === 1 ? "" : "s"} to.` });
    return { proposals, notes };
  }

  waiting.sort((a, b) => b.load - a.load || b.sizeBytes - a.sizeBytes || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const limit = opts.limit ?? Infinity;
  let bytesPlanned = 0;
  let deferred = 0;
  for (const s of waiting) {
    if (proposals.length >= limit) {
      deferred++;
      continue;
    }
    const load = Math.max(0, s.load);
    // A hand-off leaves the history on the draining host (it expires there or is copied later).
    const bytes = settings.moveMode === "handoff" ? 0 : Math.max(0, s.sizeBytes);
    let best: HostModel | null = null;
    let bestScore = Infinity;
    for (const d of dests) {
      if (d.load + load > loadLimit(d, settings) + 1e-9 || d.bytes + bytes > bytesLimit(d, settings) + 1e-9) continue;
      const cap = d.host.capacityEventsPerSec;
      const capBytes = d.host.capacityBytes;
      const score = (cap > 0 ? (d.load + load) / cap : 0) + (capBytes > 0 ? (d.bytes + bytes) / capBytes : 0);
      if (score < bestScore - 1e-12) {
        best = d;
        bestScore = score;
      }
    }
    const label = shardletLabel(s, input.labels);
    if (!best) {
      notes.push({
        hostId,
        shardletId: s.id,
        streamId: s.streamId,
        message:
          `${src.label} is draining, but no active host has headroom for ${label} (${fmtRate(load)}, ${formatBytes(bytes)}) ` +
          `while keeping ${Math.round(settings.headroomFraction * 100)}% of its capacity free.`,
      });
      continue;
    }
    const destBefore = best.load;
    const srcBefore = src.load;
    best.load += load;
    best.bytes += bytes;
    src.load -= load;
    const before = bytesPlanned;
    bytesPlanned += bytes;
    proposals.push({
      shardletId: s.id,
      streamId: s.streamId,
      sourceHostId: src.host.id,
      destHostId: best.host.id,
      reason:
        (settings.moveMode === "handoff"
          ? `${src.label} is being drained: handing ${label} (${fmtRate(load)}) off to ${best.label} (its history stays on ${src.label} until it expires or is copied), `
          : `${src.label} is being drained: moving ${label} (${fmtRate(load)}, ${formatBytes(bytes)}) to ${best.label}, `) +
        `the host with the most room after taking it (${fmtRate(destBefore)} -> ${fmtRate(best.load)}).`,
      bytesToMove: bytes,
      mode: settings.moveMode,
      expectedLoad: {
        [src.host.id]: { before: srcBefore, after: src.load },
        [best.host.id]: { before: destBefore, after: best.load },
      },
      benefit: load,
      feasibility: {
        headroom: headroomCheck(best, best.load, best.bytes, settings),
        bandwidth: bandwidthCheck(bytes, before, settings),
        window: windowCheck(bytes, now, settings),
      },
    });
  }
  if (deferred > 0) {
    notes.push({
      hostId,
      message: `${src.label} is draining: ${deferred} more shardlet${deferred === 1 ? " waits" : "s wait"} until earlier drain moves finish (a few are kept open at a time).`,
    });
  }
  return { proposals, notes };
}

import { formatBytes } from "../format.ts";
import { fmtPct, fmtRate } from "./format.ts";
import {
  aboveShare,
  bandwidthCheck,
  buildModel,
  headroomCheck,
  loadLimit,
  loadPhrase,
  meanPhrase,
  perMbText,
  shardletLabel,
  windowCheck,
  type HostModel,
} from "./model.ts";
import { explainNoMove, pendingReliefNotes, relievedNote, type Candidate } from "./explain.ts";
import type { RebalanceSettings } from "./settings.ts";
import type { MoveProposal, PlacementHost, PlacementNote, PlacementResult, PlacementShardlet } from "./types.ts";
import { findMove, util } from "./find-move.ts";
import { windowAt } from "./window.ts";

/**
 * The reactive rebalancer: proposes moves off hosts whose load passes their share of the cluster
 * load by the tolerance, to the coldest host that can take them, and says why it proposed nothing
 * where it did not. Pure and deterministic (the clock comes in as `now`); O(n log n) in the number
 * of shardlets plus O(hosts) per candidate examined, so the simulator can call it every step.
 *
 * Anti-thrashing: a host triggers above share x (1 + tolerance) and is relieved down to share x
 * (1 + tolerance - hysteresis); a destination may not pass that lower level, so it cannot trigger
 * the move back. A shardlet moved (or whose move failed) within the cool-down stays put, and a move must take at least
 * `minBenefitPerMB` events/s off the hot host per MiB copied.
 */

export interface RebalanceInput {
  hosts: readonly PlacementHost[];
  shardlets: readonly PlacementShardlet[];
  settings: RebalanceSettings;
  /** Shardlet id -> epoch ms of its last move, for the cool-down (hysteresis). */
  recentMoves?: ReadonlyMap<string, number>;
  /** Shardlets with a migration in flight: not proposed again. */
  inFlight?: ReadonlySet<string>;
  now: number;
  /** Seconds until predicted overload per shardlet (predictive callers); copied to urgencySec. */
  urgency?: ReadonlyMap<string, number>;
  /** Destination host of each in-flight move: its load is planned as if it had landed there. */
  inFlightMoves?: ReadonlyMap<string, string>;
  /** Display names of hosts and shardlets for reasons and notes (ids otherwise). */
  labels?: ReadonlyMap<string, string>;
  /**
   * What one migration costs in time: a fixed part (setup, verification, switch) and the copy
   * speed of one move. With it, a host already past its load limit is relieved by the moves that
   * take load off soonest (benefit per second of migration) instead of the largest: the largest
   * shardlet is usually the biggest copy, and a host over capacity gains nothing until the move
   * switches. Without it every host gets the largest benefit (the product's behaviour).
   */
  moveCost?: { setupSec: number; copyBytesPerSec: number };
  /** Host id -> load expected within about a migration's duration (see `ModelInput.outlook`). */
  outlook?: ReadonlyMap<string, number>;
  /** How far ahead `outlook` looks (seconds), said in the reasons of the hosts it raised. */
  outlookLeadSec?: number;
}

function relief(h: HostModel, s: RebalanceSettings): number {
  return h.share * (1 + s.tolerance - s.hysteresis);
}

export function planRebalance(input: RebalanceInput): PlacementResult {
  const { settings, now } = input;
  const notes: PlacementNote[] = [];
  const proposals: MoveProposal[] = [];
  if (!settings.enabled) {
    return { proposals, notes: [{ message: "Automatic rebalancing is off (rebalance settings); drains and manual moves still work." }] };
  }
  const model = buildModel(input);
  for (const h of model.hosts.values()) {
    if (h.host.status === "down") notes.push({ hostId: h.host.id, message: `${h.label} is down: its shardlets are neither moved off it nor onto it until it is back.` });
  }
  if (model.active.length < 2) {
    notes.push({ message: `Nothing to balance: ${model.active.length} active host${model.active.length === 1 ? "" : "s"}.` });
    return { proposals, notes };
  }
  if (model.totalLoad <= 0) {
    notes.push({ message: "Nothing to balance: no host carries any write load." });
    return { proposals, notes };
  }

  const triggered: HostModel[] = [];
  for (const h of model.active) {
    const over = aboveShare(h);
    if (over <= settings.tolerance) continue;
    if (h.load < settings.minHostLoad) {
      notes.push({
        hostId: h.host.id,
        message:
          `${h.label} is ${fmtPct(over)} above ${meanPhrase(h, model)} but carries only ${fmtRate(h.load)}, ` +
          `below the minimum host load of ${fmtRate(settings.minHostLoad)}: not worth moving data for.`,
        details: { load: h.load, share: h.share, minHostLoad: settings.minHostLoad },
      });
      continue;
    }
    triggered.push(h);
  }
  // Hosts with a note already, or triggered (they get theirs below), need no "waits for its open moves" note.
  const waitingOnOpenMoves = (triggeredHosts: readonly HostModel[]) => {
    const noted = new Set([...notes.flatMap((n) => (n.hostId ? [n.hostId] : [])), ...triggeredHosts.map((h) => h.host.id)]);
    return pendingReliefNotes(model, input.inFlightMoves, settings, noted);
  };
  if (triggered.length === 0) {
    const hottest = [...model.active].sort((a, b) => aboveShare(b) - aboveShare(a) || (a.host.id < b.host.id ? -1 : 1))[0]!;
    const pending = waitingOnOpenMoves([]);
    if (notes.every((n) => n.hostId === undefined || model.hosts.get(n.hostId)?.host.status === "down")) {
      notes.push({
        hostId: hottest.host.id,
        message:
          `${pending.length > 0 ? "Balanced once the open moves land" : "Balanced"}: the hottest host ${loadPhrase(hottest, hottest.load, input.outlookLeadSec)}, ` +
          `${fmtPct(aboveShare(hottest))} ${aboveShare(hottest) >= 0 ? "above" : "below"} ${meanPhrase(hottest, model)} (moves start above +${fmtPct(settings.tolerance)}).`,
        details: { load: hottest.load, share: hottest.share, tolerance: settings.tolerance },
      });
    }
    notes.push(...pending);
    return { proposals, notes };
  }

  // Movable shardlets per triggered host, largest load first (ties by id, for determinism).
  const coolMs = settings.cooldownSec * 1000;
  const blocked = new Map<string, { cooling: number; moving: number; inactive: number }>();
  const candidates = new Map<string, Candidate[]>();
  for (const h of triggered) {
    const counts = { cooling: 0, moving: 0, inactive: 0 };
    const list: Candidate[] = [];
    for (const s of h.shardlets) {
      if (input.inFlight?.has(s.id) || input.inFlightMoves?.has(s.id)) counts.moving++;
      else if (s.state !== "active") counts.inactive++;
      else if (coolMs > 0 && (input.recentMoves?.get(s.id) ?? -Infinity) > now - coolMs) counts.cooling++;
      // A hand-off moves the load alone: the history stays, so the move copies (and costs) no bytes.
      else if (s.load > 0) list.push({ s, load: s.load, bytes: settings.moveMode === "handoff" ? 0 : Math.max(0, s.sizeBytes) });
    }
    list.sort((a, b) => b.load - a.load || (a.s.id < b.s.id ? -1 : a.s.id > b.s.id ? 1 : 0));
    candidates.set(h.host.id, list);
    blocked.set(h.host.id, counts);
  }

  const loadBefore = new Map(triggered.map((h) => [h.host.id, h.load]));
  const pending = waitingOnOpenMoves(triggered);
  const used = new Set<string>();
  const exhausted = new Set<string>();
  const proposedFrom = new Map<string, number>();
  let bytesPlanned = 0;
  const window = windowAt(now, settings);

  for (;;) {
    // The hottest triggered host that is still above its relief level.
    let src: HostModel | null = null;
    for (const h of triggered) {
      if (exhausted.has(h.host.id) || h.load <= relief(h, settings) + 1e-9) continue;
      if (!src || util(h, h.load) > util(src, src.load) || (util(h, h.load) === util(src, src.load) && h.host.id < src.host.id)) src = h;
    }
    if (!src) break;
    if (proposals.length >= settings.maxProposalsPerRun) {
      notes.push({
        hostId: src.host.id,
        message:
          `Stopped at ${settings.maxProposalsPerRun} proposal${settings.maxProposalsPerRun === 1 ? "" : "s"} (the maximum per run): ` +
          `${src.label} is still ${fmtPct(aboveShare(src))} above ${meanPhrase(src, model)}; the next run continues.`,
      });
      break;
    }
    const cost = input.moveCost && src.load > loadLimit(src, settings) + 1e-9 ? input.moveCost : undefined;
    const search = findMove(src, candidates.get(src.host.id) ?? [], used, model, settings, bytesPlanned, window.anyTime ? Infinity : window.lengthMs, cost);
    if (!search.best) {
      exhausted.add(src.host.id);
      notes.push(explainNoMove(src, search, blocked.get(src.host.id)!, proposedFrom.get(src.host.id) ?? 0, model, settings, input.labels, input.outlookLeadSec));
      continue;
    }
    const { c, dest, benefit, perMb } = search.best;
    const srcBefore = src.load;
    const destBefore = dest.load;
    src.load -= c.load;
    dest.load += c.load;
    dest.bytes += c.bytes;
    used.add(c.s.id);
    const bytesBefore = bytesPlanned;
    bytesPlanned += c.bytes;
    proposedFrom.set(src.host.id, (proposedFrom.get(src.host.id) ?? 0) + 1);
    const label = shardletLabel(c.s, input.labels);
    const urgencySec = input.urgency?.get(c.s.id);
    proposals.push({
      shardletId: c.s.id,
      streamId: c.s.streamId,
      sourceHostId: src.host.id,
      destHostId: dest.host.id,
      reason:
        `${loadPhrase(src, srcBefore, input.outlookLeadSec)}, ${fmtPct(srcBefore / src.share - 1)} above ${meanPhrase(src, model)} (trigger +${fmtPct(settings.tolerance)}): ` +
        (settings.moveMode === "handoff"
          ? `handing ${label} (${fmtRate(c.load)}) off to ${dest.label} (its history stays, nothing is copied) takes ${src.label} to ${fmtRate(src.load)} `
          : `moving ${label} (${fmtRate(c.load)}, ${formatBytes(c.bytes)}) to ${dest.label} takes ${src.label} to ${fmtRate(src.load)} `) +
        `and ${dest.label} from ${fmtRate(destBefore)} to ${fmtRate(dest.load)}${settings.moveMode === "handoff" ? "" : ` (${perMbText(perMb)})`}.`,
      bytesToMove: c.bytes,
      mode: settings.moveMode,
      expectedLoad: {
        [src.host.id]: { before: srcBefore, after: src.load },
        [dest.host.id]: { before: destBefore, after: dest.load },
      },
      benefit,
      feasibility: {
        headroom: headroomCheck(dest, dest.load, dest.bytes, settings),
        bandwidth: bandwidthCheck(c.bytes, bytesBefore, settings),
        window: windowCheck(c.bytes, now, settings),
      },
      ...(urgencySec !== undefined ? { urgencySec } : {}),
    });
  }
  for (const h of triggered) {
    const moves = proposedFrom.get(h.host.id) ?? 0;
    if (moves > 0 && h.load <= relief(h, settings) + 1e-9) notes.push(relievedNote(h, loadBefore.get(h.host.id) ?? h.load, moves, model, settings, input.outlookLeadSec));
  }
  notes.push(...pending);
  return { proposals, notes };
}

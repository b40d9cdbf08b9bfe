import { formatBytes, formatDuration } from "../format.ts";
import { fmtNumber, fmtPct, fmtRate } from "./format.ts";
import { aboveShare, loadPhrase, meanPhrase, perMbText, shardletLabel, type ClusterModel, type HostModel } from "./model.ts";
import type { RebalanceSettings } from "./settings.ts";
import type { PlacementNote, PlacementShardlet } from "./types.ts";
import { windowLabel } from "./window.ts";

/** Why the rebalancer proposed nothing (more) for a triggered host: the note it leaves. */

export type Failure = "bytes" | "noGain" | "lowBenefit" | "bandwidth" | "window";

export interface Candidate {
  s: PlacementShardlet;
  load: number;
  bytes: number;
}

export interface SearchOutcome {
  failures: Map<Failure, { c: Candidate; dest: HostModel | null; perMb?: number }>;
  roomForLoad: number;
  tooBig: Candidate | null;
  available: number;
}

export function explainNoMove(
  src: HostModel,
  search: SearchOutcome,
  blocked: { cooling: number; moving: number; inactive: number },
  alreadyProposed: number,
  model: ClusterModel,
  settings: RebalanceSettings,
  labels: ReadonlyMap<string, string> | undefined,
  outlookLeadSec?: number,
): PlacementNote {
  const head =
    alreadyProposed > 0
      ? `${src.label} is still ${fmtPct(aboveShare(src))} above ${meanPhrase(src, model)} after ${alreadyProposed} proposed move${alreadyProposed === 1 ? "" : "s"}`
      : `${loadPhrase(src, src.load, outlookLeadSec)}, ${fmtPct(aboveShare(src))} above ${meanPhrase(src, model)}`;
  const details: Record<string, unknown> = {
    load: src.load,
    share: src.share,
    ...blocked,
    failures: Object.fromEntries([...search.failures.keys()].map((k) => [k, true])),
  };
  const note = (why: string): PlacementNote => ({ hostId: src.host.id, message: `${head}, but ${why}`, details });
  const ceilingPct = `+${fmtPct(settings.tolerance - settings.hysteresis)}`;

  const lowBenefit = search.failures.get("lowBenefit");
  if (lowBenefit) {
    const { c, dest, perMb } = lowBenefit;
    return {
      ...note(
        `the best move, ${shardletLabel(c.s, labels)} (${fmtRate(c.load)}, ${formatBytes(c.bytes)}) to ${dest?.label ?? "another host"}, ` +
          `takes off ${perMbText(perMb ?? 0)} copied, below the minimum of ${fmtNumber(settings.minBenefitPerMB)}.`,
      ),
      shardletId: c.s.id,
      streamId: c.s.streamId,
    };
  }
  const bandwidth = search.failures.get("bandwidth");
  if (bandwidth) {
    const c = bandwidth.c;
    return {
      ...note(
        `moving ${shardletLabel(c.s, labels)} (${formatBytes(c.bytes)}) would take about ${formatDuration((c.bytes / settings.bandwidthBytesPerSec) * 1000)} ` +
          `at ${formatBytes(settings.bandwidthBytesPerSec)}/s, over the copy budget of ${formatDuration(settings.maxCopySec * 1000)} per run with the moves already planned.`,
      ),
      shardletId: c.s.id,
      streamId: c.s.streamId,
    };
  }
  const windowFail = search.failures.get("window");
  if (windowFail) {
    const c = windowFail.c;
    return {
      ...note(
        `copying ${shardletLabel(c.s, labels)} (${formatBytes(c.bytes)}) takes about ${formatDuration((c.bytes / settings.bandwidthBytesPerSec) * 1000)}, ` +
          `longer than the migration window ${windowLabel(settings)}.`,
      ),
      shardletId: c.s.id,
      streamId: c.s.streamId,
    };
  }
  const bytes = search.failures.get("bytes");
  if (bytes) {
    const c = bytes.c;
    return {
      ...note(
        `no destination has room for the bytes: ${shardletLabel(c.s, labels)} (${formatBytes(c.bytes)}) would fill ${bytes.dest?.label ?? "every host"} ` +
          `past ${fmtPct(1 - settings.headroomFraction)} of its capacity.`,
      ),
      shardletId: c.s.id,
      streamId: c.s.streamId,
    };
  }
  if (search.failures.has("noGain")) {
    return note("any move would leave its destination hotter than the source is now, so none lowers the peak.");
  }
  if (search.available === 0) {
    const parts: string[] = [];
    if (blocked.cooling > 0) parts.push(`${blocked.cooling} moved, or failed to move, within the cool-down of ${formatDuration(settings.cooldownSec * 1000)}`);
    if (blocked.moving > 0) parts.push(`${blocked.moving} already being moved`);
    if (blocked.inactive > 0) parts.push(`${blocked.inactive} splitting, merging or otherwise not active`);
    if (parts.length > 0) return note(`none of its ${alreadyProposed > 0 ? "other " : ""}shardlets can move now: ${parts.join(", ")}.`);
    return note(alreadyProposed > 0 ? "it has no other shardlet with write load to move." : "it has no shardlet with write load to move.");
  }
  if (search.roomForLoad <= 0 || !search.tooBig) {
    return note(
      `no destination has headroom: every other active host is already at its share ${ceilingPct} ` +
        `or at ${fmtPct(1 - settings.headroomFraction)} of its capacity.`,
    );
  }
  const c = search.tooBig;
  return {
    ...note(
      `no destination has headroom for any of its shardlets: the smallest movable one that still carries load, ${shardletLabel(c.s, labels)} ` +
        `(${fmtRate(c.load)}), is more than any other host can take (${fmtRate(search.roomForLoad)} at most, keeping it under its share ${ceilingPct}). ` +
        `Splitting it lets the pieces move.`,
    ),
    shardletId: c.s.id,
    streamId: c.s.streamId,
  };
}

/**
 * A triggered host this run's proposals bring back within the band: said, so the hot host in the
 * load table is not left without a word on why no further move comes.
 */
export function relievedNote(h: HostModel, before: number, moves: number, model: ClusterModel, settings: RebalanceSettings, outlookLeadSec?: number): PlacementNote {
  return {
    hostId: h.host.id,
    message:
      `${loadPhrase(h, before, outlookLeadSec)}, ${fmtPct(before / h.share - 1)} above ${meanPhrase(h, model)}: ` +
      `the ${moves} move${moves === 1 ? "" : "s"} proposed take${moves === 1 ? "s" : ""} it to ${fmtRate(h.load)}, ` +
      `within +${fmtPct(settings.tolerance - settings.hysteresis)}, so no further move is needed.`,
    details: { before, after: h.load, share: h.share, moves },
  };
}

/**
 * Hosts above the trigger now that open moves will bring under it once they land. The planner
 * counts an open move on its destination, so without this note such a host looks hot and ignored.
 */
export function pendingReliefNotes(model: ClusterModel, inFlightMoves: ReadonlyMap<string, string> | undefined, settings: RebalanceSettings, skip: ReadonlySet<string>): PlacementNote[] {
  if (!inFlightMoves || inFlightMoves.size === 0) return [];
  const notes: PlacementNote[] = [];
  for (const h of model.active) {
    if (skip.has(h.host.id) || h.share <= 0) continue;
    let now = 0;
    let leaving = 0;
    for (const s of h.shardlets) {
      now += Math.max(0, s.load);
      const dest = inFlightMoves.get(s.id);
      if (dest !== undefined && dest !== h.host.id && model.hosts.has(dest)) leaving++;
    }
    if (leaving === 0 || now / h.share - 1 <= settings.tolerance) continue;
    notes.push({
      hostId: h.host.id,
      message:
        `${h.label} carries ${fmtRate(now)} now, ${fmtPct(now / h.share - 1)} above ${meanPhrase(h, model)}, but its ${leaving} open move${leaving === 1 ? "" : "s"} ` +
        `take${leaving === 1 ? "s" : ""} it to ${fmtRate(h.load)} once ${leaving === 1 ? "it lands" : "they land"} (moves start above +${fmtPct(settings.tolerance)}): nothing more to move until then.`,
      details: { now, planned: h.load, share: h.share, openMoves: leaving },
    });
  }
  return notes;
}

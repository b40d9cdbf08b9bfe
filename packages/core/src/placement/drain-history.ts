import { formatBytes, formatDuration } from "../format.ts";
import { bandwidthCheck, buildModel, bytesLimit, headroomCheck, windowCheck, type HostModel } from "./model.ts";
import type { RebalanceInput } from "./rebalance.ts";
import type { MoveProposal, PlacementNote, PlacementResult } from "./types.ts";

/**
 * What a draining host does with the history its hand-offs leave (the rebalance settings'
 * `drainHistory`), once none of its routed shardlets is left: with `copy`, a history copy per
 * sealed shardlet to the active host with the most byte room that may take it; with `expire`,
 * nothing moves and a note says how much history is left and when the last of it expires (the host
 * can be retired then).
 */

/** A sealed shardlet (the history a hand-off left where it was written). */
export interface SealedHistory {
  id: string;
  streamId: string;
  hostId: string;
  sizeBytes: number;
  /** When the last of its rows expires (epoch ms): the stream's retention after its seal. */
  expiresAt: number;
  /** "orders 0x00000000–0x3fffffff" (the id otherwise). */
  label?: string;
  /**
   * Hosts a copy of it may not go to: another shardlet of its stream overlapping its range lives
   * there, or is being moved onto or off it (copies work by key-hash range).
   */
  blockedHostIds?: readonly string[];
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * History moves (or the note) for draining host `hostId`. `sealed` holds every sealed shardlet of
 * the cluster: those on other hosts count against those hosts' byte room, those on the way to one
 * (in `input.inFlightMoves`) too. Nothing while routed shardlets are still on the host (its own
 * hand-offs come first and add to its history). `limit` bounds the proposals, as for the drain's
 * other moves.
 */
export function planDrainHistory(hostId: string, input: RebalanceInput, sealed: readonly SealedHistory[], opts: { limit?: number } = {}): PlacementResult {
  const { settings, now } = input;
  const proposals: MoveProposal[] = [];
  const notes: PlacementNote[] = [];
  const mine = sealed.filter((s) => s.hostId === hostId);
  if (mine.length === 0 || input.shardlets.some((s) => s.hostId === hostId)) return { proposals, notes };
  const model = buildModel(input);
  const src = model.hosts.get(hostId);
  if (!src) return { proposals, notes };
  const totalBytes = mine.reduce((n, s) => n + Math.max(0, s.sizeBytes), 0);
  const last = Math.max(...mine.map((s) => s.expiresAt));
  const amount = `${plural(mine.length, "sealed shardlet", "sealed shardlets")} of history (${formatBytes(totalBytes)})`;
  const lastAt = `${new Date(last).toISOString()} (in ${formatDuration(Math.max(0, last - now))})`;

  if (settings.drainHistory === "expire") {
    notes.push({
      hostId,
      message:
        `${src.label} is draining and its shardlets are handed off; ${amount} stays there until retention drops it, ` +
        `the last at ${lastAt}: it can be retired then (its history is set to expire; "Copy it off" moves it to other hosts sooner).`,
      details: { sealedShardlets: mine.length, bytes: totalBytes, lastExpiresAt: new Date(last).toISOString() },
    });
    return { proposals, notes };
  }

  // Bytes each active host holds or is about to: its routed shardlets (moves in flight landed), its
  // sealed history, and history being copied to it.
  const dests = model.active.filter((h) => h !== src);
  const bytes = new Map<HostModel, number>(dests.map((d) => [d, d.bytes]));
  const byId = new Map(dests.map((d) => [d.host.id, d]));
  for (const s of sealed) {
    const to = input.inFlightMoves?.get(s.id);
    const d = byId.get(to ?? s.hostId);
    if (d) bytes.set(d, bytes.get(d)! + Math.max(0, s.sizeBytes));
  }
  const room = (d: HostModel) => bytesLimit(d, settings) - bytes.get(d)!;

  const waiting = mine.filter((s) => !input.inFlight?.has(s.id) && !input.inFlightMoves?.has(s.id));
  const moving = mine.length - waiting.length;
  // The history that would expire last is worth copying first.
  waiting.sort((a, b) => b.expiresAt - a.expiresAt || b.sizeBytes - a.sizeBytes || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const limit = opts.limit ?? Infinity;
  let planned = 0;
  let deferred = 0;
  for (const s of waiting) {
    if (proposals.length >= limit) {
      deferred++;
      continue;
    }
    const size = Math.max(0, s.sizeBytes);
    const label = s.label ?? s.id;
    const blocked = new Set(s.blockedHostIds ?? []);
    let best: HostModel | null = null;
    for (const d of dests) {
      if (blocked.has(d.host.id) || room(d) < size - 1e-9) continue;
      if (!best || room(d) > room(best) + 1e-9) best = d;
    }
    if (!best) {
      notes.push({
        hostId,
        shardletId: s.id,
        streamId: s.streamId,
        message:
          `${src.label} is draining, but no active host can take the sealed history of ${label} (${formatBytes(size)}): ` +
          (dests.every((d) => blocked.has(d.host.id))
            ? "every other active host holds part of its range (a history copy needs the range to itself there)."
            : `none has ${formatBytes(size)} of room while keeping ${Math.round(settings.headroomFraction * 100)}% of its capacity free.`) +
          ` It stays until retention drops it, at ${new Date(s.expiresAt).toISOString()}.`,
      });
      continue;
    }
    const roomBefore = room(best);
    bytes.set(best, bytes.get(best)! + size);
    const before = planned;
    planned += size;
    proposals.push({
      shardletId: s.id,
      streamId: s.streamId,
      sourceHostId: hostId,
      destHostId: best.host.id,
      reason:
        `${src.label} is being drained: copying the sealed history of ${label} (${formatBytes(size)}, kept until ${new Date(s.expiresAt).toISOString()}) ` +
        `to ${best.label}, the active host with the most byte room (${formatBytes(roomBefore)} free before it).`,
      bytesToMove: size,
      mode: "copy",
      expectedLoad: {
        [hostId]: { before: src.load, after: src.load },
        [best.host.id]: { before: best.load, after: best.load },
      },
      benefit: 0,
      feasibility: {
        headroom: headroomCheck(best, best.load, bytes.get(best)!, settings),
        bandwidth: bandwidthCheck(size, before, settings),
        window: windowCheck(size, now, settings),
      },
    });
  }
  if (moving > 0 || deferred > 0) {
    const underWay = moving + proposals.length;
    notes.push({
      hostId,
      message:
        `${src.label} is draining and its shardlets are handed off; ${amount} left` +
        (underWay > 0 ? `, ${plural(underWay, "history copy", "history copies")} under way` : "") +
        (deferred > 0 ? `, ${deferred} more waiting until earlier copies finish (a few are kept open at a time)` : "") +
        `. It can be retired once they are done.`,
    });
  }
  return { proposals, notes };
}

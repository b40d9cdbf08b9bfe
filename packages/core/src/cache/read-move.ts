import { destCeiling } from "../placement/find-move.ts";
import { buildModel, bytesLimit, type ModelInput } from "../placement/model.ts";
import type { RebalanceSettings } from "../placement/settings.ts";
import type { PlacementSettings } from "./placement.ts";

/**
 * The placement bandit's `move` arm: a hot shardlet (read at `replicaMinReadsPerSec` or more, as
 * for `replicate`) on a host whose read load (events read from its shardlets per second) is
 * `readMoveImbalance` above the active hosts' mean is moved, through the ordinary migration, to
 * the host with the least read load. It competes with `replicate` and `leave` in the same hot
 * contexts: a replica splits a shardlet's reads over two hosts for its copy and upkeep, a move
 * shifts them once.
 *
 * It must not fight the write rebalancer, which owns write load: the destination's write load
 * after the move stays under the rebalancer's own ceiling (its share x (1 + tolerance -
 * hysteresis), and the headroom limit), computed from the same figures (the shardlets' measured
 * write rates, moves in flight counted on their destination), so the rebalancer never has reason
 * to move it back. A shardlet with a migration, a read replica or a split or merge under way, or
 * moved lately (by the rebalancer's cool-down or this arm's own), is not moved.
 *
 * Reward, measured at the first run after the migration finished and settled: how much of the
 * excess over the cluster's mean read load the move removed from the pair of hosts it touched,
 * times the share of the traffic that was reads rather than copying:
 *
 *   excess = max(source reads/s, destination reads/s) / mean reads/s per active host - 1
 *   gain   = clamp((excessBefore - excessAfter) / excessBefore, 0, 1)
 *   reward = gain x readEvents / (readEvents + copiedEvents)
 *
 * Taking the pair's maximum, a move that only made the destination the new hot spot earns
 * nothing. `readEvents` are the shardlet's events read since the switch, `copiedEvents` the rows
 * the migration copied: the same rows are read and copied, so events stand in for bytes (as in the
 * replicate arm's reward), and a move whose shardlet nobody read afterwards earns 0 however much it
 * evened the loads. Nothing improved (or worse): 0.
 */

/** A shardlet the `move` arm may act on, as the job measured it. */
export interface ReadMoveCandidate {
  shardletId: string;
  hostId: string;
  readsPerSec: number;
  /** Why it must not move now (a migration, replica, split or merge under way, a cool-down); absent: free. */
  blocked?: string;
}

export interface ReadMoveInput {
  /** Events read per second from each active host's shardlets; every active host, 0 when unread. */
  hostReads: ReadonlyMap<string, number>;
  candidates: readonly ReadMoveCandidate[];
  /** The rebalancer's view of write load: hosts, shardlets with their write rates, moves in flight. */
  write: ModelInput & { settings: RebalanceSettings };
  settings: PlacementSettings;
}

/** A move the arm may make: where to, and what it is expected to do to both loads. */
export interface ReadMoveTarget {
  shardletId: string;
  sourceHostId: string;
  destHostId: string;
  readsPerSec: number;
  sourceReads: number;
  destReads: number;
  meanReads: number;
  /** The pair's read excess over the mean now (see the header), the reward's baseline. */
  excessBefore: number;
  /** The destination's write load after the move and the rebalancer's ceiling for it (events/s). */
  writeAfter: number;
  writeCeiling: number;
}

export function readExcess(sourceReads: number, destReads: number, meanReads: number): number {
  return meanReads > 0 ? Math.max(0, Math.max(sourceReads, destReads) / meanReads - 1) : 0;
}

export function meanOf(loads: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const v of loads.values()) sum += Math.max(0, v);
  return loads.size > 0 ? sum / loads.size : 0;
}

/**
 * The moves the arm may make this run, by shardlet: for each free hot shardlet on a host read
 * `readMoveImbalance` above the mean, the least-read active host whose write load stays under the
 * rebalancer's ceiling and that ends below the source's read load (a move that merely swaps the hot
 * spot gains nothing: a shardlet that is most of its host's reads wants a replica instead).
 */
export function planReadMoves(input: ReadMoveInput): Map<string, ReadMoveTarget> {
  const out = new Map<string, ReadMoveTarget>();
  const { settings } = input;
  if (settings.maxReadMovesPerRun === 0 || input.hostReads.size < 2) return out;
  const mean = meanOf(input.hostReads);
  if (mean <= 0) return out;
  const model = buildModel(input.write);
  const writes = new Map(input.write.shardlets.map((s) => [s.id, s]));
  const byReads = [...input.hostReads].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  for (const c of input.candidates) {
    if (c.blocked !== undefined || c.readsPerSec < settings.replicaMinReadsPerSec) continue;
    const src = input.hostReads.get(c.hostId);
    const w = writes.get(c.shardletId);
    if (src === undefined || !w || w.state !== "active" || src < mean * (1 + settings.readMoveImbalance)) continue;
    for (const [destId, destReads] of byReads) {
      if (destId === c.hostId || destReads >= mean) continue;
      if (destReads + c.readsPerSec >= src) continue;
      const dest = model.hosts.get(destId);
      if (!dest || dest.host.status !== "active") continue;
      const writeAfter = dest.load + Math.max(0, w.load);
      const ceiling = destCeiling(dest, input.write.settings);
      if (writeAfter > ceiling + 1e-9 || dest.bytes + Math.max(0, w.sizeBytes) > bytesLimit(dest, input.write.settings) + 1e-9) continue;
      out.set(c.shardletId, {
        shardletId: c.shardletId,
        sourceHostId: c.hostId,
        destHostId: destId,
        readsPerSec: c.readsPerSec,
        sourceReads: src,
        destReads,
        meanReads: mean,
        excessBefore: readExcess(src, destReads, mean),
        writeAfter,
        writeCeiling: ceiling,
      });
      break;
    }
  }
  return out;
}

/** What a later run measured after a read move: reads since the switch, per active host and of the shardlet. */
export interface ReadMoveOutcome {
  sourceReads: number;
  destReads: number;
  meanReads: number;
  readEvents: number;
  copiedEvents: number;
}

/** The move's reward in [0, 1] (see the header): 0 when the pair's excess did not fall or nobody read the shardlet. */
export function readMoveReward(excessBefore: number, after: ReadMoveOutcome): number {
  if (!(excessBefore > 0)) return 0;
  const gain = Math.min(1, Math.max(0, (excessBefore - readExcess(after.sourceReads, after.destReads, after.meanReads)) / excessBefore));
  const traffic = after.readEvents + after.copiedEvents;
  const served = traffic > 0 ? Math.max(0, after.readEvents) / traffic : 0;
  return Math.min(1, Math.max(0, gain * served));
}

export function readMoveReason(t: ReadMoveTarget): string {
  const f = (v: number) => v.toFixed(1);
  return (
    `its host serves ${f(t.sourceReads)} reads/s, ${Math.round((t.sourceReads / t.meanReads - 1) * 100)}% above the mean of ${f(t.meanReads)}; ` +
    `the destination serves ${f(t.destReads)} and its writes stay at ${f(t.writeAfter)} of the rebalancer's ${f(t.writeCeiling)} events/s`
  );
}

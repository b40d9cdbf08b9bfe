import { getHostStatus, rangeNeighbours, SHADOW_FENCE_STATE, type RangeNeighbour, type RangeNeighbourMove } from "@shardcast/db";
import { migrationEpochs, type MigrationContext } from "./context.ts";
import type { DestFence } from "./copy.ts";

/**
 * The checks of a history copy (history-copy.ts): is its sealed shardlet still what it was asked
 * to copy, and is its range on the two hosts its alone. The copy, its verification and the
 * cleanups work by key-hash range (and positions), so another shardlet of the stream overlapping
 * the range on either host, or rows of one being moved onto or off either host, would be counted,
 * verified and deleted as the sealed shardlet's. Checked before the copy starts, before it is
 * verified and before it switches: a shardlet that arrives meanwhile (a hand-off to one of the
 * hosts) gives the copy up before anything is deleted on the source.
 */

/** The destination fence a history copy and its repairs write through: `shadow` at the copy epoch. */
export function historyFence(ctx: MigrationContext): DestFence {
  return { epoch: migrationEpochs(ctx.m).copy, states: [SHADOW_FENCE_STATE] };
}

/** The sealed shardlet as the control database has it now. */
export interface SealedNow {
  state: string;
  epoch: number;
  hostId: string;
  sealedAt: Date | null;
}

/**
 * Why the history copy cannot go on against the shardlet as it is now (null: it can). Before the
 * start (`started` false) the shardlet must still be sealed on the source at the epoch the
 * migration was proposed at; once started, at the copy's epoch.
 */
export function staleHistoryProblem(
  m: MigrationContext["m"],
  s: SealedNow | null,
  started: boolean,
): string | null {
  if (!s) return "the shardlet no longer exists";
  if (s.state === "retired") {
    return s.sealedAt
      ? `its history expired (the stream's retention has passed since it was sealed at ${s.sealedAt.toISOString()})${started ? " while it was being copied" : ""}`
      : "the shardlet no longer exists (it was split or merged)";
  }
  if (s.state !== "sealed") return `the shardlet is ${s.state}, not sealed`;
  if (s.hostId !== m.sourceHostId) return `the sealed shardlet is on host ${s.hostId} now, not on the source ${m.sourceHostId}`;
  if (started) {
    const copy = migrationEpochs(m).copy;
    if (s.epoch !== copy) return `the sealed shardlet changed since its copy started (epoch ${copy} -> ${s.epoch})`;
  } else {
    if (m.shardletEpoch > 0 && s.epoch !== m.shardletEpoch) {
      return `the shardlet changed since the migration was proposed (epoch ${m.shardletEpoch} -> ${s.epoch}: handed off, or its history copied, since)`;
    }
    if (m.shardletEpoch === 0 && s.sealedAt && s.sealedAt.getTime() > m.createdAt.getTime()) {
      return "the shardlet was handed off to another host since the migration was proposed (its successor takes the writes)";
    }
  }
  if (m.destHostId === m.sourceHostId) return "the destination is the source host";
  return null;
}

function describeShardlet(s: RangeNeighbour): string {
  const kind = s.state === "sealed" ? "sealed shardlet" : s.state === "pending" ? "new shardlet" : "shardlet";
  return `${kind} ${s.id} [${s.lo}, ${s.hi})`;
}

/**
 * Hosts a history copy of [lo, hi) may neither leave nor go to, each with what is there: the hosts
 * of the stream's other shardlets overlapping the range (sealed, routed or pending), and both
 * hosts of a migration under way of one of them. Pure, for the guard and the drain planner.
 */
export function historyCopyBlockers(n: { shardlets: readonly RangeNeighbour[]; moves: readonly RangeNeighbourMove[] }): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of n.shardlets) if (!out.has(s.hostId)) out.set(s.hostId, `${describeShardlet(s)} of the stream overlaps the range and lives there`);
  for (const x of n.moves) {
    const what = `migration ${x.migrationId} (${x.phase}) moves rows of the overlapping shardlet ${x.shardletId}`;
    if (!out.has(x.sourceHostId)) out.set(x.sourceHostId, `${what} off it`);
    if (!out.has(x.destHostId)) out.set(x.destHostId, `${what} onto it`);
  }
  return out;
}

/** Why the range is not the sealed shardlet's alone on its source or its destination (null: it is). */
export async function overlapProblem(ctx: MigrationContext): Promise<string | null> {
  const { deps, m, range } = ctx;
  const blockers = historyCopyBlockers(await rangeNeighbours(deps.db, { ...range, exceptId: m.shardletId }));
  for (const [hostId, role] of [
    [m.sourceHostId, "source"],
    [m.destHostId, "destination"],
  ] as const) {
    const what = blockers.get(hostId);
    if (!what) continue;
    const name = (await getHostStatus(deps.db, hostId))?.name ?? hostId;
    return (
      `refused: on the ${role} host ${name}, ${what}; a history copy copies, verifies and cleans up by key-hash range, ` +
      `which would mix that shardlet's rows with the sealed ones. Copy it once the range is the sealed shardlet's alone on both hosts, or to another host`
    );
  }
  return null;
}

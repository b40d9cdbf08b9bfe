import {
  checkMigrationProposal,
  defaultMoveMode,
  staleProposalReason,
  TERMINAL_MIGRATION_PHASES,
  type MigrationOrigin,
  type MoveMode,
  type NewMigrationProposal,
} from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { json, logEvent, type Tx } from "./events.ts";
import { getRebalanceSettings } from "../rebalance-settings.ts";
import { xactLock } from "../xact-lock.ts";

/**
 * The decision side of migrations: proposals (from the rebalancer, the analyzer, drains and
 * operators) and what people decide about them (approve, schedule, reject, cancel). Every decision
 * is a conditional update on the phase it started from, so two people (or a person and the mover)
 * deciding at once cannot both win, and every decision appends to the migration's event log.
 * The mover owns everything from `approved`/`scheduled` onward.
 */

export { MIGRATION_ORIGINS } from "@shardcast/core";
export type { NewMigrationProposal } from "@shardcast/core";

const TERMINAL = [...TERMINAL_MIGRATION_PHASES];

/** The mode of a move that does not name one: its origin's default, as the rebalance settings' `moveMode` says for load moves. */
async function defaultModeFor(tx: Tx, origin: MigrationOrigin): Promise<MoveMode> {
  if (defaultMoveMode(origin) === "copy") return "copy";
  return (await getRebalanceSettings(tx)).moveMode;
}

/**
 * Stores a proposed (or, with an auto-approve policy, approved) migration and logs who proposed it
 * and why. At most one open (non-terminal) migration exists per shardlet: when one does, nothing is
 * stored and its id comes back with `created: false`. Proposals for the same shardlet are
 * serialised with a transaction-scoped advisory lock, so concurrent planners cannot both create one.
 */
export async function createMigrationProposal(db: ControlDb, p: NewMigrationProposal): Promise<{ id: string; created: boolean }> {
  checkMigrationProposal(p);
  const phase = p.phase ?? "proposed";
  const who = p.proposedBy ?? p.origin;
  return db.$transaction(async (tx) => {
    await xactLock(tx, "migration:" + p.shardletId);
    const open = await tx.migration.findFirst({
      where: { shardletId: p.shardletId, phase: { notIn: TERMINAL } },
      select: { id: true },
      orderBy: { createdAt: "asc" },
    });
    if (open) return { id: open.id, created: false };
    const now = new Date();
    const row = await tx.migration.create({
      data: {
        streamId: p.streamId,
        shardletId: p.shardletId,
        sourceHostId: p.sourceHostId,
        destHostId: p.destHostId,
        phase,
        origin: p.origin,
        mode: p.mode ?? (await defaultModeFor(tx, p.origin)),
        reason: p.reason.trim(),
        urgencySec: p.urgencySec === undefined ? null : Math.round(p.urgencySec),
        expectedBenefit: p.expectedBenefit,
        expectedLoad: json(p.expectedLoad),
        feasibility: json(p.feasibility),
        bytesToMove: BigInt(Math.round(p.bytesToMove)),
        shardletEpoch: p.shardletEpoch,
        proposedBy: who,
        ...(phase === "approved" ? { decidedBy: who, decidedAt: now } : {}),
      },
      select: { id: true },
    });
    await logEvent(tx, row.id, "proposed", `Proposed by ${who}${who.startsWith(p.origin) ? "" : ` (${p.origin})`}: ${p.reason.trim()}`, { actor: who, origin: p.origin });
    if (phase === "approved") {
      const why = p.origin === "drain" ? "part of draining the host" : p.origin === "manual" ? "an operator's own move" : "auto-approve policy";
      await logEvent(tx, row.id, "approved", `Approved at once by ${who}: ${why}.`, { actor: who });
    }
    return { id: row.id, created: true };
  });
}

/**
 * Withdraws open proposals of the given origins whose premise is gone: the shardlet changed (split,
 * merged, moved: its epoch or host differs), the destination stopped taking data, or nobody decided
 * within `ttlMs`. Returns how many were withdrawn (they end `cancelled`, with the reason logged).
 */
export async function withdrawStaleProposals(
  db: ControlDb,
  opts: { origins: readonly MigrationOrigin[]; now: Date; ttlMs: number; actor: string },
): Promise<number> {
  const open = await db.migration.findMany({
    where: { phase: "proposed", origin: { in: [...opts.origins] } },
    select: { id: true, shardletId: true, sourceHostId: true, destHostId: true, shardletEpoch: true, createdAt: true },
  });
  if (open.length === 0) return 0;
  const [shardlets, hosts] = await Promise.all([
    db.shardlet.findMany({ where: { id: { in: [...new Set(open.map((m) => m.shardletId))] } }, select: { id: true, state: true, epoch: true, hostId: true } }),
    db.host.findMany({ select: { id: true, status: true, name: true } }),
  ]);
  const byShardlet = new Map(shardlets.map((s) => [s.id, s]));
  const byHost = new Map(hosts.map((h) => [h.id, h]));
  const reasons = new Map<string, string>();
  for (const m of open) {
    const reason = staleProposalReason(m, byShardlet.get(m.shardletId), byHost.get(m.destHostId), opts);
    if (reason) reasons.set(m.id, reason);
  }
  return (await withdrawProposals(db, reasons, opts)).length;
}

/**
 * Withdraws the proposals named in `reasons` that are still undecided, each with its reason in its
 * log (a planner's judgement that the load it answered has gone). Returns the ids withdrawn: one
 * decided meanwhile is left as it is.
 */
export async function withdrawProposals(db: ControlDb, reasons: ReadonlyMap<string, string>, opts: { now: Date; actor: string }): Promise<string[]> {
  const withdrawn: string[] = [];
  for (const [id, reason] of reasons) {
    const done = await db.$transaction(async (tx) => {
      const { count } = await tx.migration.updateMany({
        where: { id, phase: "proposed" },
        data: { phase: "cancelled", decidedBy: opts.actor, decidedAt: opts.now, finishedAt: opts.now },
      });
      if (count !== 1) return false;
      await logEvent(tx, id, "cancelled", `Withdrawn by the ${opts.actor}: ${reason}. The next run proposes again if still needed.`, { actor: opts.actor });
      return true;
    });
    if (done) withdrawn.push(id);
  }
  return withdrawn;
}

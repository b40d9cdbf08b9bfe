import { beatsPromotionBar, modelVersionLabel as label, promotionBar, ShardcastError, type PromotionBenchmark } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { lockPromotion, SUMMARY_SELECT, toInfo, type Tx } from "./rows.ts";
import type { ModelVersionInfo } from "./versions.ts";

export type { PromotionBenchmark } from "@shardcast/core";

async function activate(tx: Tx, id: string, at: Date): Promise<string[]> {
  const previous = await tx.modelVersion.findMany({ where: { status: "active", id: { not: id } }, select: { id: true } });
  if (previous.length > 0) await tx.modelVersion.updateMany({ where: { id: { in: previous.map((p) => p.id) } }, data: { status: "retired" } });
  await tx.modelVersion.update({ where: { id }, data: { status: "active", promotedAt: at } });
  return previous.map((p) => p.id);
}

async function logModelOperation(
  tx: Tx,
  op: { kind: string; message: string; actor: string | null; details: Record<string, unknown> },
): Promise<void> {
  await tx.operation.create({
    data: { kind: op.kind, status: "succeeded", message: op.message, actor: op.actor, details: op.details as Prisma.InputJsonValue, finishedAt: new Date(), durationMs: 0 },
  });
}

export type PromotionDecision =
  | { promoted: true; replacedIds: string[]; bar: number; against: string }
  | { promoted: false; bar: number; against: string; reason: string };

/**
 * Promotes a freshly trained candidate only if its MASE beats the version that serves now (of
 * any kind), scored on the same held-out window when `bench` says so, or seasonal naive while no
 * version is active. Otherwise it stays a candidate.
 */
export async function promoteIfBetter(db: ControlDb, id: string, bench: PromotionBenchmark, actor: string | null): Promise<PromotionDecision> {
  return db.$transaction(async (tx) => {
    await lockPromotion(tx);
    const cand = await tx.modelVersion.findUnique({ where: { id }, select: { id: true, kind: true, version: true, status: true, mase: true } });
    if (!cand) throw new ShardcastError("not_found", `Model version ${id} does not exist.`);
    if (cand.status !== "candidate" || cand.mase === null) throw new ShardcastError("conflict", `${label(cand)} is ${cand.status}; only a scored candidate can be promoted`);
    const current = await tx.modelVersion.findFirst({
      where: { status: "active" },
      orderBy: [{ promotedAt: { sort: "desc", nulls: "last" } }, { createdAt: "desc" }],
      select: { id: true, kind: true, version: true, mase: true },
    });
    const { bar, against } = promotionBar(current, bench);
    if (!beatsPromotionBar(cand.mase, bar)) {
      return { promoted: false, bar, against, reason: `MASE ${cand.mase.toFixed(3)} does not beat ${against} (${bar.toFixed(3)})` };
    }
    const replacedIds = await activate(tx, id, new Date());
    await logModelOperation(tx, {
      kind: "model.promote",
      message: `promoted ${label(cand)}: MASE ${cand.mase.toFixed(3)} beats ${against} (${bar.toFixed(3)})`,
      actor,
      details: { versionId: id, mase: cand.mase, bar, against, replacedIds, automatic: true },
    });
    return { promoted: true, replacedIds, bar, against };
  });
}

/**
 * An operator's promotion of a finished version (candidate or retired), whatever its figures:
 * the reason is recorded with it.
 */
export async function promoteModelVersion(db: ControlDb, id: string, by: { actor: string; reason: string }): Promise<ModelVersionInfo> {
  await db.$transaction(async (tx) => {
    await lockPromotion(tx);
    const v = await tx.modelVersion.findUnique({ where: { id }, select: { id: true, kind: true, version: true, status: true, mase: true } });
    if (!v) throw new ShardcastError("not_found", `Model version ${id} does not exist.`);
    if (v.status === "active") throw new ShardcastError("conflict", `${label(v)} is already active.`);
    if (v.status !== "candidate" && v.status !== "retired") throw new ShardcastError("conflict", `${label(v)} is ${v.status}; only a trained candidate or retired version can be promoted.`);
    const replacedIds = await activate(tx, id, new Date());
    await logModelOperation(tx, {
      kind: "model.promote",
      message: `promoted ${label(v)} by hand: ${by.reason}`,
      actor: by.actor,
      details: { versionId: id, mase: v.mase, replacedIds, reason: by.reason, automatic: false },
    });
  });
  return toInfo(await db.modelVersion.findUniqueOrThrow({ where: { id }, select: SUMMARY_SELECT }));
}

/**
 * Returns to the version that served most recently before the active one (or to `toId`, a version
 * that served once); the active version is retired. When no version served before it, the default
 * per-series selection did, and serves again (`to` is null); `toDefault` returns to it in any case.
 */
export async function rollbackModelVersion(
  db: ControlDb,
  by: { actor: string; reason: string; toId?: string; toDefault?: boolean },
): Promise<{ from: ModelVersionInfo; to: ModelVersionInfo | null }> {
  if (by.toId && by.toDefault) throw new ShardcastError("bad_request", "Roll back either to a version or to the default selection, not both.");
  const ids = await db.$transaction(async (tx) => {
    await lockPromotion(tx);
    const current = await tx.modelVersion.findFirst({
      where: { status: "active" },
      orderBy: [{ promotedAt: { sort: "desc", nulls: "last" } }, { createdAt: "desc" }],
      select: { id: true, kind: true, version: true },
    });
    if (!current) throw new ShardcastError("conflict", "No model version is active; the default selection serves, so there is nothing to roll back.");
    const target = by.toDefault
      ? null
      : by.toId
      ? await tx.modelVersion.findUnique({ where: { id: by.toId }, select: { id: true, kind: true, version: true, status: true, promotedAt: true } })
      : await tx.modelVersion.findFirst({
          where: { status: "retired", promotedAt: { not: null }, id: { not: current.id } },
          orderBy: { promotedAt: "desc" },
          select: { id: true, kind: true, version: true, status: true, promotedAt: true },
        });
    if (!target && by.toId) throw new ShardcastError("not_found", `Model version ${by.toId} does not exist.`);
    if (!target) {
      await tx.modelVersion.update({ where: { id: current.id }, data: { status: "retired" } });
      await logModelOperation(tx, {
        kind: "model.rollback",
        message: `rolled back from ${label(current)} to the default selection: ${by.reason}`,
        actor: by.actor,
        details: { fromId: current.id, toId: null, reason: by.reason },
      });
      return { from: current.id, to: null };
    }
    if (target.id === current.id) throw new ShardcastError("conflict", `${label(target)} is already active.`);
    if (target.status !== "retired" || target.promotedAt === null) {
      throw new ShardcastError("conflict", `${label(target)} never served (it is ${target.status}); roll back only to a version that was active before.`);
    }
    await activate(tx, target.id, new Date());
    await logModelOperation(tx, {
      kind: "model.rollback",
      message: `rolled back from ${label(current)} to ${label(target)}: ${by.reason}`,
      actor: by.actor,
      details: { fromId: current.id, toId: target.id, reason: by.reason },
    });
    return { from: current.id, to: target.id };
  });
  const [from, to] = await Promise.all([
    db.modelVersion.findUniqueOrThrow({ where: { id: ids.from }, select: SUMMARY_SELECT }),
    ids.to === null ? null : db.modelVersion.findUniqueOrThrow({ where: { id: ids.to }, select: SUMMARY_SELECT }),
  ]);
  return { from: toInfo(from), to: to === null ? null : toInfo(to) };
}

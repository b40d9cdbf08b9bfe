import { roleAtLeast, ShardcastError, type Role } from "@shardcast/core";
import type { Prisma } from "./client.ts";

/**
 * A console request reads its user's role once, when it starts; an admin disabled or demoted while
 * the request is on its way must not go on changing users, keys, hosts or settings. So the writes
 * that grant or configure check the acting user again inside their transaction, under this lock:
 * changes to users take it exclusively, acting users share it. A demotion then either waits for the
 * writes already checked to commit, or commits first and every later check sees it.
 */
const LOCK = "user-admin-set";

/** The exclusive side, for transactions that change users' roles or disabled state. */
export async function lockUserChanges(tx: Prisma.TransactionClient): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${LOCK}))`;
}

/** Refuses (`forbidden`) unless `actorId` is an enabled user holding at least `role`; the caller holds the lock. */
export async function checkActingUser(tx: Prisma.TransactionClient, actorId: string, role: Role): Promise<void> {
  const actor = await tx.user.findUnique({ where: { id: actorId }, select: { role: true, disabledAt: true } });
  if (!actor || actor.disabledAt || !roleAtLeast(actor.role, role)) {
    throw new ShardcastError("forbidden", `You are no longer an active ${role}, so this change was not made.`);
  }
}

/** Takes the shared side of the lock and checks the acting user (see the top of this file). */
export async function actAs(tx: Prisma.TransactionClient, actorId: string, role: Role): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(hashtext(${LOCK}))`;
  await checkActingUser(tx, actorId, role);
}

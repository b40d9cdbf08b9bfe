import type { Role } from "@shardcast/core";
import type { ControlDb, Prisma } from "./client.ts";
import { randomToken, sha256Hex } from "./tokens.ts";

export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/** Starts a session. The token goes into the cookie; only its sha256 is stored. */
export async function createSession(
  db: ControlDb,
  userId: string,
  ttlMs: number = SESSION_TTL_MS,
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomToken(32);
  const expiresAt = new Date(Date.now() + ttlMs);
  await db.session.create({ data: { id: sha256Hex(token), userId, expiresAt } });
  return { token, expiresAt };
}

/**
 * Starts a session for a sign-in whose password matched `verifiedHash`, only if that is still the
 * user's hash and the user is not disabled, and stamps lastLoginAt; else null. The check takes the
 * user's row lock, so a password change or a disabling either comes first (no session) or waits
 * and then ends the session with the others.
 */
export async function createSessionIfCredentials(
  db: ControlDb,
  userId: string,
  verifiedHash: string,
  ttlMs: number = SESSION_TTL_MS,
): Promise<{ token: string; expiresAt: Date } | null> {
  const token = randomToken(32);
  const expiresAt = new Date(Date.now() + ttlMs);
  return db.$transaction(async (tx) => {
    const current = { id: userId, passwordHash: verifiedHash, disabledAt: null };
    const res = await tx.user.updateMany({ where: current, data: { lastLoginAt: new Date() } });
    if (res.count === 0) return null;
    await tx.session.create({ data: { id: sha256Hex(token), userId, expiresAt } });
    return { token, expiresAt };
  });
}

/**
 * The signed-in user for a session token, or null when unknown, expired or the user is disabled.
 * Disabling ends the user's sessions, but a sign-in that passed its password check just before
 * can still store one afterwards; this check keeps that session out too.
 */
export async function getSessionUser(db: ControlDb, token: string): Promise<SessionUser | null> {
  if (!token) return null;
  const session = await db.session.findUnique({
    where: { id: sha256Hex(token) },
    select: { expiresAt: true, user: { select: { id: true, email: true, name: true, role: true, disabledAt: true } } },
  });
  if (!session) return null;
  if (session.expiresAt.getTime() <= Date.now() || session.user.disabledAt) {
    await db.session.deleteMany({ where: { id: sha256Hex(token) } });
    return null;
  }
  const { disabledAt: _disabled, ...user } = session.user;
  return user;
}

export async function deleteSession(db: ControlDb, token: string): Promise<void> {
  if (!token) return;
  await db.session.deleteMany({ where: { id: sha256Hex(token) } });
}

/**
 * Ends every session of a user, except the one of `keepToken` when given (the caller's own, after
 * a password change); returns how many ended. Takes a transaction so a change of the user and the
 * end of its sessions commit together.
 */
export async function endUserSessions(db: ControlDb | Prisma.TransactionClient, userId: string, keepToken?: string): Promise<number> {
  const keep = keepToken ? { NOT: { id: sha256Hex(keepToken) } } : {};
  const res = await db.session.deleteMany({ where: { userId, ...keep } });
  return res.count;
}

/** Removes expired sessions; returns how many. */
export async function deleteExpiredSessions(db: ControlDb, nowMs: number = Date.now()): Promise<number> {
  const res = await db.session.deleteMany({ where: { expiresAt: { lte: new Date(nowMs) } } });
  return res.count;
}

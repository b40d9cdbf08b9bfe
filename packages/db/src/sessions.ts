import type { Role } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
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

/** The signed-in user for a session token, or null when unknown or expired. */
export async function getSessionUser(db: ControlDb, token: string): Promise<SessionUser | null> {
  if (!token) return null;
  const session = await db.session.findUnique({
    where: { id: sha256Hex(token) },
    select: { expiresAt: true, user: { select: { id: true, email: true, name: true, role: true } } },
  });
  if (!session) return null;
  if (session.expiresAt.getTime() <= Date.now()) {
    await db.session.deleteMany({ where: { id: sha256Hex(token) } });
    return null;
  }
  return session.user;
}

export async function deleteSession(db: ControlDb, token: string): Promise<void> {
  if (!token) return;
  await db.session.deleteMany({ where: { id: sha256Hex(token) } });
}

/** Removes expired sessions; returns how many. */
export async function deleteExpiredSessions(db: ControlDb, nowMs: number = Date.now()): Promise<number> {
  const res = await db.session.deleteMany({ where: { expiresAt: { lte: new Date(nowMs) } } });
  return res.count;
}

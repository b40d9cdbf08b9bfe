import { ROLES, ShardcastError, type Role } from "@shardcast/core";
import type { ControlDb, Prisma } from "./client.ts";
import { isUniqueViolation } from "./errors.ts";
import { checkPassword, decoyPasswordHash, hashPassword, needsRehash } from "./passwords.ts";
import { endUserSessions } from "./sessions.ts";
import { xactLock } from "./xact-lock.ts";
import { actAs, checkActingUser, lockUserChanges } from "./acting-user.ts";

/** A user as every caller sees it: never the password hash. */
export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: Date;
  lastLoginAt: Date | null;
  /** When an admin disabled the user; null while the user may sign in. */
  disabledAt: Date | null;
}

export interface NewUser {
  email: string;
  name: string;
  password: string;
  role: Role;
}

const USER_SELECT = { id: true, email: true, name: true, role: true, createdAt: true, lastLoginAt: true, disabledAt: true } as const;

/** Emails are matched case-insensitively: stored trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

function checkNewUser(input: NewUser): void {
  if (!EMAIL.test(normalizeEmail(input.email))) throw new ShardcastError("validation_failed", "email is not a valid address");
  if (input.name.trim().length === 0) throw new ShardcastError("validation_failed", "name is empty");
  if (input.password.length === 0) throw new ShardcastError("validation_failed", "password is empty");
  if (!ROLES.includes(input.role)) throw new ShardcastError("validation_failed", `role must be one of ${ROLES.join(", ")}`);
}

/**
 * Adds a user. With `actorId` (an admin adding a user from the console), the actor is checked
 * again (see acting-user.ts) as for every admin change to users: an admin disabled or demoted
 * while its request was under way must not leave itself a new admin account behind.
 */
export async function createUser(db: ControlDb, input: NewUser, opts: { actorId?: string } = {}): Promise<User> {
  checkNewUser(input);
  // Hashed outside the transaction: scrypt takes long enough to hold the lock for nothing.
  const passwordHash = await hashPassword(input.password);
  const data = { email: normalizeEmail(input.email), name: input.name.trim(), role: input.role, passwordHash };
  const { actorId } = opts;
  try {
    if (actorId === undefined) return await db.user.create({ data, select: USER_SELECT });
    return await db.$transaction(async (tx) => {
      await actAs(tx, actorId, "admin");
      return tx.user.create({ data, select: USER_SELECT });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ShardcastError("conflict", `a user with email ${normalizeEmail(input.email)} already exists`);
    throw err;
  }
}

/**
 * The first-run setup: creates an admin only while the console has no user at all, else returns
 * null. Setups sent at the same moment are serialised by a transaction lock, so a visitor racing
 * the real first admin cannot become a second admin.
 */
export async function createFirstAdmin(db: ControlDb, input: Omit<NewUser, "role">): Promise<User | null> {
  const admin: NewUser = { ...input, role: "admin" };
  checkNewUser(admin);
  // Refused before the costly hash too: once set up, the open setup endpoint must stay cheap.
  if ((await db.user.count()) > 0) return null;
  // Hashed outside the transaction: scrypt takes long enough to hold the lock for nothing.
  const passwordHash = await hashPassword(admin.password);
  return db.$transaction(async (tx) => {
    await xactLock(tx, "first-admin-setup");
    if ((await tx.user.count()) > 0) return null;
    return tx.user.create({
      data: { email: normalizeEmail(admin.email), name: admin.name.trim(), role: admin.role, passwordHash },
      select: USER_SELECT,
    });
  });
}

/** A password that passed, and the hash it passed against: a session may start only while that is current. */
export interface VerifiedCredentials {
  user: User;
  verifiedHash: string;
}

/**
 * Checks a sign-in. Returns the user and the hash that matched, or null; an unknown email costs the
 * same scrypt work as a wrong password so the two cannot be told apart by timing. A hash made with
 * weaker parameters than today's is replaced while the password is at hand, unless the password
 * changed meanwhile (the old one must not come back). A disabled user is refused like a wrong
 * password, after the same work, so sign-in does not tell who was disabled.
 */
export async function verifyCredentials(db: ControlDb, email: string, password: string): Promise<VerifiedCredentials | null> {
  const row = await db.user.findUnique({ where: { email: normalizeEmail(email) } });
  if (!row) {
    await checkPassword(password, await decoyPasswordHash());
    return null;
  }
  if (!(await checkPassword(password, row.passwordHash))) return null;
  if (row.disabledAt) return null;
  const { passwordHash } = row;
  if (!needsRehash(passwordHash)) return { user: userOf(row), verifiedHash: passwordHash };
  const rehashed = await hashPassword(password);
  const res = await db.user.updateMany({ where: { id: row.id, passwordHash }, data: { passwordHash: rehashed } });
  if (res.count === 1) return { user: userOf(row), verifiedHash: rehashed };
  // Another sign-in of the same password may have upgraded the hash first: the password still
  // holds against what it stored, while one changed meanwhile does not.
  const now = await db.user.findUnique({ where: { id: row.id } });
  if (!now || now.disabledAt || !(await checkPassword(password, now.passwordHash))) return null;
  return { user: userOf(now), verifiedHash: now.passwordHash };
}

function userOf(row: User & { passwordHash: string }): User {
  const { id, email, name, role, createdAt, lastLoginAt, disabledAt } = row;
  return { id, email, name, role, createdAt, lastLoginAt, disabledAt };
}

export async function countUsers(db: ControlDb): Promise<number> {
  return db.user.count();
}

export async function listUsers(db: ControlDb): Promise<User[]> {
  return db.user.findMany({ select: USER_SELECT, orderBy: { createdAt: "asc" } });
}


/**
 * Admin changes to users take the acting-user lock exclusively: each checks "another active admin
 * remains" and then writes, and two admins demoting or disabling each other at once must not both
 * pass the check. The acting admin is checked again under it (see acting-user.ts): an admin
 * disabled or demoted since its request began must not go on changing users (nor enable itself).
 */
async function lockAsAdmin(tx: Prisma.TransactionClient, actorId: string): Promise<void> {
  await lockUserChanges(tx);
  await checkActingUser(tx, actorId, "admin");
}

async function findUserForChange(tx: Prisma.TransactionClient, userId: string): Promise<User> {
  const user = await tx.user.findUnique({ where: { id: userId }, select: USER_SELECT });
  if (!user) throw new ShardcastError("not_found", "That user does not exist.");
  return user;
}

/** Refuses a change that would leave the console without an active admin: nobody could undo it. */
async function keepAnAdmin(tx: Prisma.TransactionClient, user: User, change: string): Promise<void> {
  if (user.role !== "admin" || user.disabledAt) return;
  const others = await tx.user.count({ where: { role: "admin", disabledAt: null, id: { not: user.id } } });
  if (others === 0) {
    throw new ShardcastError("conflict", `${user.email} is the last active admin: make another user an admin before ${change}.`);
  }
}

export interface UserChange {
  user: User;
  /** False when the user already was as asked: nothing was written and no session ended. */
  changed: boolean;
  sessionsEnded: number;
}

/**
 * Disables a user (ending all its sessions at once) or enables it again. Users are disabled, never
 * deleted: the operations log names its actors by email and API keys name their creator, and a
 * deleted user's email could be taken by someone else, who would then seem to have done it all.
 */
export async function setUserDisabled(db: ControlDb, actorId: string, userId: string, disabled: boolean): Promise<UserChange> {
  return db.$transaction(async (tx) => {
    await lockAsAdmin(tx, actorId);
    const user = await findUserForChange(tx, userId);
    if ((user.disabledAt !== null) === disabled) return { user, changed: false, sessionsEnded: 0 };
    if (disabled) await keepAnAdmin(tx, user, "disabling this one");
    const updated = await tx.user.update({ where: { id: userId }, data: { disabledAt: disabled ? new Date() : null }, select: USER_SELECT });
    const sessionsEnded = disabled ? await endUserSessions(tx, userId) : 0;
    return { user: updated, changed: true, sessionsEnded };
  });
}

export interface RoleChange extends UserChange {
  previousRole: Role;
  /** Unrevoked API keys the user created that the edges now refuse (it is no longer an admin). */
  keysStopped: number;
  /** Unrevoked API keys the user created that work again (it is an admin again). */
  keysRestored: number;
}

/**
 * Changes a user's role and ends all its sessions, so the user signs in again under the new role.
 * A key grants no more than its creator holds (see verifyApiKey): leaving or regaining the admin
 * role stops or restores the user's keys, counted here under the same lock as the change.
 */
export async function setUserRole(db: ControlDb, actorId: string, userId: string, role: Role): Promise<RoleChange> {
  if (!ROLES.includes(role)) throw new ShardcastError("validation_failed", `role must be one of ${ROLES.join(", ")}`);
  return db.$transaction(async (tx) => {
    await lockAsAdmin(tx, actorId);
    const user = await findUserForChange(tx, userId);
    if (user.role === role) return { user, previousRole: user.role, changed: false, sessionsEnded: 0, keysStopped: 0, keysRestored: 0 };
    await keepAnAdmin(tx, user, "changing its role");
    const updated = await tx.user.update({ where: { id: userId }, data: { role }, select: USER_SELECT });
    // A disabled user's keys are refused either way, so none of them stops or starts working.
    const adminChanged = (user.role === "admin") !== (role === "admin") && !user.disabledAt;
    const keys = adminChanged ? await tx.apiKey.count({ where: { createdById: userId, revokedAt: null } }) : 0;
    return {
      user: updated,
      previousRole: user.role,
      changed: true,
      sessionsEnded: await endUserSessions(tx, userId),
      keysStopped: role === "admin" ? 0 : keys,
      keysRestored: role === "admin" ? keys : 0,
    };
  });
}

export const PASSWORD_CHANGED_MEANWHILE = "Your password was changed by another request at the same time, so this change was not made. Sign in again if you are signed out.";

/**
 * A user's own password change: null when `current` is wrong (or the user is gone or disabled).
 * Ends the user's other sessions, keeping the one of `keepToken`: whoever knew the old password
 * may have signed in with it. Throws `conflict` when the password changed (or the user was disabled) while `next` was hashed.
 */
export async function changeOwnPassword(
  db: ControlDb,
  userId: string,
  passwords: { current: string; next: string },
  keepToken: string | null,
): Promise<{ sessionsEnded: number } | null> {
  if (passwords.next.length === 0) throw new ShardcastError("validation_failed", "password is empty");
  const row = await db.user.findUnique({ where: { id: userId }, select: { passwordHash: true, disabledAt: true } });
  if (!row || row.disabledAt) return null;
  if (!(await checkPassword(passwords.current, row.passwordHash))) return null;
  // Hashed outside the transaction: scrypt takes long enough to hold a connection for nothing.
  const passwordHash = await hashPassword(passwords.next);
  return db.$transaction(async (tx) => {
    // Only over the hash just checked: of two changes at once, the second must not pass on a
    // current password that is no longer current.
    const res = await tx.user.updateMany({ where: { id: userId, passwordHash: row.passwordHash, disabledAt: null }, data: { passwordHash } });
    if (res.count === 0) throw new ShardcastError("conflict", PASSWORD_CHANGED_MEANWHILE);
    return { sessionsEnded: await endUserSessions(tx, userId, keepToken ?? undefined) };
  });
}

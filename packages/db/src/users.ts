import { ROLES, ShardcastError, type Role } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { isUniqueViolation } from "./errors.ts";
import { checkPassword, decoyPasswordHash, hashPassword, needsRehash } from "./passwords.ts";

/** A user as every caller sees it: never the password hash. */
export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: Date;
  lastLoginAt: Date | null;
}

export interface NewUser {
  email: string;
  name: string;
  password: string;
  role: Role;
}

const USER_SELECT = { id: true, email: true, name: true, role: true, createdAt: true, lastLoginAt: true } as const;

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

export async function createUser(db: ControlDb, input: NewUser): Promise<User> {
  checkNewUser(input);
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.user.create({
      data: { email: normalizeEmail(input.email), name: input.name.trim(), role: input.role, passwordHash },
      select: USER_SELECT,
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
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${"first-admin-setup"}))`;
    if ((await tx.user.count()) > 0) return null;
    return tx.user.create({
      data: { email: normalizeEmail(admin.email), name: admin.name.trim(), role: admin.role, passwordHash },
      select: USER_SELECT,
    });
  });
}

/**
 * Checks a sign-in. Returns the user (and stamps lastLoginAt) or null; an unknown email costs the
 * same scrypt work as a wrong password so the two cannot be told apart by timing. A hash made with
 * weaker parameters than today's is replaced while the password is at hand.
 */
export async function verifyPassword(db: ControlDb, email: string, password: string): Promise<User | null> {
  const row = await db.user.findUnique({ where: { email: normalizeEmail(email) } });
  if (!row) {
    await checkPassword(password, await decoyPasswordHash());
    return null;
  }
  if (!(await checkPassword(password, row.passwordHash))) return null;
  const rehashed = needsRehash(row.passwordHash) ? { passwordHash: await hashPassword(password) } : {};
  const updated = await db.user.update({ where: { id: row.id }, data: { lastLoginAt: new Date(), ...rehashed }, select: USER_SELECT });
  return updated;
}

export async function countUsers(db: ControlDb): Promise<number> {
  return db.user.count();
}

export async function listUsers(db: ControlDb): Promise<User[]> {
  return db.user.findMany({ select: USER_SELECT, orderBy: { createdAt: "asc" } });
}


import { randomBytes } from "node:crypto";
import { ShardcastError } from "@shardcast/core";
import { actAs } from "./acting-user.ts";
import type { ControlDb, Prisma } from "./client.ts";
import { isUniqueViolation } from "./errors.ts";
import { digestsEqual, randomToken, sha256Hex } from "./tokens.ts";

export interface NewApiKey {
  name: string;
  /** Stream names the key may use; ["*"] for every stream. */
  streams: string[];
  canProduce: boolean;
  canConsume: boolean;
  /** Consumer groups the key may use; empty (the default) for any group. */
  consumerGroups?: string[];
  /** The admin creating it from the console, checked again as the key is written; null for the system. */
  createdById: string | null;
}

/** Per-key rate limits, per second; null is unlimited. */
export interface ApiKeyQuota {
  produceEventsPerSec: number | null;
  produceBytesPerSec: number | null;
  readEventsPerSec: number | null;
  readBytesPerSec: number | null;
}

/** What a verified key may do. */
export interface ApiKeyGrant {
  id: string;
  name: string;
  streams: string[];
  canProduce: boolean;
  canConsume: boolean;
  /** Consumer groups the key may join, describe and act in; empty means any group. */
  consumerGroups: string[];
  quota: ApiKeyQuota;
}

/** Why a right token of a key is refused because of its creator, or null when the creator allows it. */
export type CreatorRefusal = "creator_disabled" | "creator_not_admin";

export interface ApiKeyInfo extends ApiKeyGrant {
  prefix: string;
  createdAt: Date;
  /** The console user who created (or last adopted) the key; null for the system. */
  createdById: string | null;
  createdByEmail: string | null;
  /** Whether the edges refuse the key for its creator's standing (as `verifyApiKey` decides). */
  creatorRefusal: CreatorRefusal | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** lastUsedAt is a hint for operators: at most one write per key per minute. */
const LAST_USED_RESOLUTION_MS = 60_000;

// Prefix: 10 lowercase hex characters, so it never contains the "_" that separates the parts.
const TOKEN = /^sc_([0-9a-f]{10})_([A-Za-z0-9_-]{20,})$/;

/** Whether a grant covers a stream (by name). */
export function apiKeyAllowsStream(grant: Pick<ApiKeyGrant, "streams">, streamName: string): boolean {
  return grant.streams.includes("*") || grant.streams.includes(streamName);
}

/** Whether a grant covers a consumer group (by name); an empty list covers every group. */
export function apiKeyAllowsGroup(grant: { consumerGroups: readonly string[] }, group: string): boolean {
  return grant.consumerGroups.length === 0 || grant.consumerGroups.includes(group);
}

/** Creates a key. The token `sc_<prefix>_<secret>` is returned once; only sha256(secret) is kept. */
export async function createApiKey(db: ControlDb, input: NewApiKey): Promise<{ id: string; prefix: string; token: string }> {
  const name = input.name.trim();
  if (name.length === 0) throw new ShardcastError("validation_failed", "key name is empty");
  if (input.streams.length === 0) throw new ShardcastError("validation_failed", 'streams is empty: name streams or use ["*"]');
  if (!input.canProduce && !input.canConsume) {
    throw new ShardcastError("validation_failed", "a key must be allowed to produce, consume or both");
  }
  for (let attempt = 0; ; attempt++) {
    const prefix = randomBytes(5).toString("hex");
    const secret = randomToken(32);
    try {
      const data = {
        name,
        prefix,
        secretHash: sha256Hex(secret),
        streams: [...new Set(input.streams)],
        canProduce: input.canProduce,
        canConsume: input.canConsume,
        consumerGroups: [...new Set(input.consumerGroups ?? [])],
        createdById: input.createdById,
      };
      const actor = input.createdById === null ? {} : { actorId: input.createdById };
      const row = await asKeyAdmin(db, actor, (tx) => tx.apiKey.create({ data, select: { id: true } }));
      return { id: row.id, prefix, token: `sc_${prefix}_${secret}` };
    } catch (err) {
      // A prefix collision (1 in 2^40 per pair) just draws again.
      if (isUniqueViolation(err) && attempt < 3) continue;
      throw err;
    }
  }
}

/**
 * A key grants no more than its creator holds now: only admins issue keys, so a key whose creator
 * was disabled or is no longer an admin is refused. System keys (no creator) are not.
 */
function creatorRefusal(createdBy: { disabledAt: Date | null; role: string } | null): CreatorRefusal | null {
  if (!createdBy) return null;
  if (createdBy.disabledAt) return "creator_disabled";
  return createdBy.role === "admin" ? null : "creator_not_admin";
}

const CREATOR_STANDING = { select: { email: true, disabledAt: true, role: true } } as const;

/**
 * The key's grant, or null for a malformed, unknown, wrong or revoked token. Throws `forbidden`
 * for a right token whose creator is disabled or no longer an admin: a user's access must end
 * everywhere, and the key can work again when the user is enabled or made an admin again, or once
 * an admin adopts it (revoking it could not be undone).
 */
export async function verifyApiKey(db: ControlDb, token: string): Promise<ApiKeyGrant | null> {
  const m = TOKEN.exec(token);
  if (!m) return null;
  const [, prefix, secret] = m as unknown as [string, string, string];
  // Read with the key: edges cache the answer, so this runs once per key and cache lifetime, not per request.
  const row = await db.apiKey.findUnique({ where: { prefix }, include: { createdBy: CREATOR_STANDING } });
  if (!row || row.revokedAt) return null;
  if (!digestsEqual(sha256Hex(secret), row.secretHash)) return null;
  // Only after the secret matched: who holds just a prefix must not learn whose key it is.
  const refusal = creatorRefusal(row.createdBy);
  if (refusal === "creator_disabled") {
    throw new ShardcastError("forbidden", `API key "${row.name}" was created by a console user who is now disabled: enable the user, have an admin adopt the key, or use another key`);
  }
  if (refusal === "creator_not_admin") {
    throw new ShardcastError("forbidden", `API key "${row.name}" was created by a console user who is no longer an admin: make the user an admin again, have an admin adopt the key, or use another key`);
  }
  const now = Date.now();
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    const cutoff = new Date(now - LAST_USED_RESOLUTION_MS);
    // Conditional so that concurrent requests with the same key write once.
    await db.apiKey.updateMany({
      where: { id: row.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: cutoff } }] },
      data: { lastUsedAt: new Date(now) },
    });
  }
  return {
    id: row.id,
    name: row.name,
    streams: row.streams,
    canProduce: row.canProduce,
    canConsume: row.canConsume,
    consumerGroups: row.consumerGroups,
    quota: quotaOf(row),
  };
}

function quotaOf(row: ApiKeyQuota): ApiKeyQuota {
  return {
    produceEventsPerSec: row.produceEventsPerSec,
    produceBytesPerSec: row.produceBytesPerSec,
    readEventsPerSec: row.readEventsPerSec,
    readBytesPerSec: row.readBytesPerSec,
  };
}

export async function listApiKeys(db: ControlDb): Promise<ApiKeyInfo[]> {
  const rows = await db.apiKey.findMany({
    orderBy: { createdAt: "desc" },
    include: { createdBy: CREATOR_STANDING },
  });
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    streams: r.streams,
    canProduce: r.canProduce,
    canConsume: r.canConsume,
    consumerGroups: r.consumerGroups,
    quota: quotaOf(r),
    createdAt: r.createdAt,
    createdById: r.createdById,
    createdByEmail: r.createdBy?.email ?? null,
    creatorRefusal: creatorRefusal(r.createdBy),
    lastUsedAt: r.lastUsedAt,
    revokedAt: r.revokedAt,
  }));
}

/** Public prefixes of the unrevoked keys a user created: the keys to evict from edge caches when the user is disabled, enabled or changes role. */
export async function apiKeyPrefixesCreatedBy(db: ControlDb, userId: string): Promise<string[]> {
  const rows = await db.apiKey.findMany({ where: { createdById: userId, revokedAt: null }, select: { prefix: true } });
  return rows.map((r) => r.prefix);
}

/** How many unrevoked keys each user created (users with none are absent). */
export async function activeApiKeyCountsByCreator(db: ControlDb): Promise<Map<string, number>> {
  const rows = await db.apiKey.groupBy({ by: ["createdById"], where: { revokedAt: null, createdById: { not: null } }, _count: { _all: true } });
  return new Map(rows.flatMap((r) => (r.createdById === null ? [] : [[r.createdById, r._count._all] as const])));
}

/** Who changes a key from the console: checked again as the change is written (see acting-user.ts). */
export interface KeyActor {
  actorId?: string;
}

/** Runs `fn` in a transaction, after checking the acting admin when there is one. */
async function asKeyAdmin<T>(db: ControlDb, opts: KeyActor, fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  const { actorId } = opts;
  return db.$transaction(async (tx) => {
    if (actorId !== undefined) await actAs(tx, actorId, "admin");
    return fn(tx);
  });
}

/** Revokes a key (kept for the audit trail); false when it was revoked already (nothing changed). */
export async function revokeApiKey(db: ControlDb, id: string, opts: KeyActor = {}): Promise<boolean> {
  return asKeyAdmin(db, opts, async (tx) => {
    const res = await tx.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
    if (res.count > 0) return true;
    const exists = await tx.apiKey.count({ where: { id } });
    if (exists === 0) throw new ShardcastError("not_found", `unknown API key ${id}`);
    return false;
  });
}

/** Sets a key's rate limits (every field; null is unlimited). Returns the key's public prefix. */
export async function setApiKeyQuota(db: ControlDb, id: string, quota: ApiKeyQuota, opts: KeyActor = {}): Promise<{ prefix: string }> {
  return asKeyAdmin(db, opts, async (tx) => {
    const res = await tx.apiKey.updateMany({ where: { id }, data: quotaOf(quota) });
    if (res.count === 0) throw new ShardcastError("not_found", `unknown API key ${id}`);
    const row = await tx.apiKey.findUniqueOrThrow({ where: { id }, select: { prefix: true } });
    return { prefix: row.prefix };
  });
}

/**
 * Makes the acting admin the key's creator, so a key refused for its creator (disabled, or no
 * longer an admin) works again without being re-issued to its clients. A revoked key is refused
 * (`conflict`): revocation is final. `changed` is false when the actor created it already.
 */
export async function adoptApiKey(
  db: ControlDb,
  id: string,
  actorId: string,
): Promise<{ prefix: string; name: string; previousCreatorEmail: string | null; changed: boolean }> {
  return asKeyAdmin(db, { actorId }, async (tx) => {
    const row = await tx.apiKey.findUnique({ where: { id }, select: { prefix: true, name: true, revokedAt: true, createdById: true, createdBy: { select: { email: true } } } });
    if (!row) throw new ShardcastError("not_found", `unknown API key ${id}`);
    if (row.revokedAt) throw new ShardcastError("conflict", `API key "${row.name}" is revoked and cannot be adopted: create a new key instead`);
    const answer = { prefix: row.prefix, name: row.name, previousCreatorEmail: row.createdBy?.email ?? null };
    if (row.createdById === actorId) return { ...answer, changed: false };
    // Only while still unrevoked: a revocation committed since the read above wins.
    const res = await tx.apiKey.updateMany({ where: { id, revokedAt: null }, data: { createdById: actorId } });
    if (res.count === 0) throw new ShardcastError("conflict", `API key "${row.name}" is revoked and cannot be adopted: create a new key instead`);
    return { ...answer, changed: true };
  });
}

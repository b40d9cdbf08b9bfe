import { Prisma } from "./generated/prisma/client.ts";

/** True for a unique-constraint violation from Prisma (P2002) or pg (23505). */
export function isUniqueViolation(err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientKnownRequestError) return err.code === "P2002";
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "23505";
}

/** True for a foreign-key violation from Prisma (P2003) or pg (23503): the row referred to is gone. */
export function isForeignKeyViolation(err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientKnownRequestError) return err.code === "P2003";
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "23503";
}

/**
 * True for a statement refused because another transaction holds a row it needs (`NOWAIT`, 55P03)
 * or aborted as a deadlock's victim (40P01): from pg (its SQLSTATE) or Prisma's raw query (which
 * names it in its meta or its message).
 */
export function isLockConflict(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const { code, meta } = err as { code?: unknown; meta?: { code?: unknown } };
  if (code === "55P03" || code === "40P01" || meta?.code === "55P03" || meta?.code === "40P01") return true;
  return err instanceof Error && /\b(55P03|40P01)\b/.test(err.message);
}

/** BigInt columns leave this package as numbers: every value fits (hash bounds, byte counts). */
export function num(value: bigint | number): number {
  return typeof value === "bigint" ? Number(value) : value;
}

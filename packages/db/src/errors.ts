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

/** BigInt columns leave this package as numbers: every value fits (hash bounds, byte counts). */
export function num(value: bigint | number): number {
  return typeof value === "bigint" ? Number(value) : value;
}

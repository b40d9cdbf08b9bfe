import { OUTAGE_RETRY_AFTER_MS, ShardcastError } from "@shardcast/core";
import { safeMessage } from "./safe-message.ts";

/** Socket errors and PostgreSQL's own "cannot serve now" states (shutdown, too many connections, statement timeout). */
const LOST_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH", "EPIPE", "57P01", "57P02", "57P03", "57014", "53300"]);
/** Prisma's: cannot reach the server, timed out reaching it, server closed the connection, no pool connection in time. */
const PRISMA_LOST_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
const LOST_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Can't reach database server/i;

/**
 * Whether an error from PostgreSQL, through `pg` or Prisma (whose driver adapter wraps `pg`'s
 * error as its cause), says the server could not be reached or could not serve now: a request
 * that met it may succeed when retried, so it is `unavailable` (503), never `internal`.
 */
export function isConnectionLoss(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (LOST_CODES.has(code) || code.startsWith("08") || PRISMA_LOST_CODES.has(code))) return true;
    if ((e as { name?: unknown }).name === "PrismaClientInitializationError") return true;
    if (e instanceof Error && LOST_MESSAGE.test(e.message)) return true;
  }
  return false;
}

/** The error as `unavailable` when it is a connection loss (see `isConnectionLoss`), else null. */
export function storageUnavailable(err: unknown, what = "the request"): ShardcastError | null {
  if (err instanceof ShardcastError || !isConnectionLoss(err)) return null;
  return new ShardcastError("unavailable", `database unavailable during ${what}: ${safeMessage(err)}`, { retryAfterMs: OUTAGE_RETRY_AFTER_MS }, { cause: err });
}

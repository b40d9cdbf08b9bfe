import { ShardcastError } from "@shardcast/core";
import { isConnectionLoss } from "../connection-loss.ts";
import { safeMessage } from "../safe-message.ts";

/** Connection loss and timeouts become `unavailable`; SQL errors keep their original form. */
export function hostError(err: unknown, what: string): unknown {
  if (err instanceof ShardcastError || !isConnectionLoss(err)) return err;
  return new ShardcastError("unavailable", `storage host unavailable during ${what}: ${safeMessage(err)}`, undefined, { cause: err });
}

/** Why a PostgreSQL server that answered refused the connection. */
export type HostRefusal = "login_refused" | "no_database" | "closed";

/** SQLSTATEs of a server that answers but refuses the login: a role or password no longer valid. */
const LOGIN_REFUSED = new Set(["28000", "28P01"]);
/** SQLSTATE of a connection to a database that does not exist (dropped). */
const NO_DATABASE = "3D000";
/** SQLSTATE (with this message) of a database closed to connections (ALLOW_CONNECTIONS false). */
const CLOSED = { code: "55000", message: /not currently accepting connections/ };

/**
 * Why the server refused the connection (an error of `pg`, or one wrapping it as its cause), or
 * null for any other failure. Unlike a connection loss, retrying soon does not help.
 */
export function hostRefusal(err: unknown): HostRefusal | null {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === NO_DATABASE) return "no_database";
    if (typeof code === "string" && LOGIN_REFUSED.has(code)) return "login_refused";
    if (code === CLOSED.code && e instanceof Error && CLOSED.message.test(e.message)) return "closed";
  }
  return null;
}

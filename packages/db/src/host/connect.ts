import pg from "pg";
import { redactDsn, ShardcastError } from "@shardcast/core";
import { safeMessage } from "../safe-message.ts";

export interface OpenHostClientOptions {
  /** Give up connecting after this long (default 5 s). */
  connectTimeoutMs?: number;
  /** Server-side statement_timeout in ms (default: the server's). */
  statementTimeoutMs?: number;
  applicationName: string;
}

/**
 * One connection to a host database outside any pool (schema runs, registration). A failure names
 * the host by its redacted DSN only: DSNs carry passwords. The caller ends the client.
 */
export async function openHostClient(dsn: string, opts: OpenHostClientOptions): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: dsn,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    application_name: opts.applicationName,
    ...(opts.statementTimeoutMs !== undefined ? { statement_timeout: opts.statementTimeoutMs } : {}),
  });
  // A dropped connection emits "error" on the client; without a listener that would crash the process.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new ShardcastError("unavailable", `cannot connect to host ${redactDsn(dsn)}: ${safeMessage(err)}`);
  }
  return client;
}

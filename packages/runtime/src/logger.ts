import { redactSecrets } from "@shardcast/core";

export type LogLevel = "debug" | "info" | "warn" | "error";
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const SECRET_FIELD = /pass(word)?|secret|token|dsn|authorization|cookie|api_?key/i;

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactSecrets(value);
  if (value instanceof Error) return scrubError(value, depth);
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) ? "***" : scrub(v, depth + 1);
  return out;
}

/**
 * An error as a record: without its stack a logged failure says what went wrong but not where,
 * which is what the log is read for. The stack repeats the message (and a driver's message may
 * carry a DSN), so it is redacted like any string; the cause chain is kept the same way.
 */
function scrubError(err: Error, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: redactSecrets(err.message) };
  if (typeof err.stack === "string") out.stack = redactSecrets(err.stack);
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") out.code = code;
  if (err.cause !== undefined && depth <= 4) out.cause = scrub(err.cause, depth + 1);
  return out;
}

/**
 * One JSON line per record on stderr. Fields whose names look secret are masked and DSNs inside
 * strings are redacted, so a careless `log.info("x", { dsn })` cannot leak credentials.
 */
export function createLogger(
  base: Record<string, unknown> = {},
  opts: { level?: LogLevel; write?: (line: string) => void } = {},
): Logger {
  const min = LEVELS[opts.level ?? "info"];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < min) return;
    const record = { t: new Date().toISOString(), level, msg: redactSecrets(msg), ...(scrub(base) as object), ...(fields ? (scrub(fields) as object) : {}) };
    write(JSON.stringify(record));
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger({ ...base, ...fields }, opts),
  };
}

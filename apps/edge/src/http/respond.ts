import type { IncomingMessage, ServerResponse } from "node:http";
import { errorStatus, isShardcastError, parseTimestamp, retryAfterSeconds, ShardcastError, unstorableText } from "@shardcast/core";
import { storageUnavailable } from "@shardcast/db";
import { outages, redisUnavailable, type Logger } from "@shardcast/runtime";
import { answerJson } from "./answer-json.ts";

/** Sends `body` as JSON; returns the bytes of the body sent. */
export function sendJson(res: ServerResponse, status: number, body: unknown, close = false, headers: Record<string, string> = {}): number {
  return sendText(res, status, JSON.stringify(body), close, headers);
}

/**
 * Sends an answer that carries events (a page, a poll's batches) as `sendJson` would, writing the
 * events the shard cache holds from their kept texts (see answer-json.ts).
 */
export function sendEvents(res: ServerResponse, body: unknown, headers: Record<string, string> = {}): number {
  return sendText(res, 200, answerJson(body) ?? JSON.stringify(body), false, headers);
}

function sendText(res: ServerResponse, status: number, text: string | Buffer, close: boolean, headers: Record<string, string>): number {
  const length = Buffer.byteLength(text);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": length,
    // After a refused oversize body the rest of it is still on the wire: end the connection.
    ...(close ? { connection: "close" } : {}),
  });
  res.end(text);
  return length;
}

export function sendError(res: ServerResponse, thrown: unknown, log: Logger): void {
  // A Redis or database outage is known and temporary: 503 says so (a 500 is an error the edge did
  // not expect; clients retry both).
  const redis = redisUnavailable(thrown);
  const storage = redis ? null : storageUnavailable(thrown);
  const err = redis ?? storage ?? thrown;
  if (isShardcastError(err)) {
    // An outage fails every request alike: logged once per outage, not per request.
    if (redis || storage) outages.failed(log, redis ? "Redis" : "PostgreSQL", thrown);
    else if (err.code === "internal" || err.code === "unavailable") log.warn(err.message, { code: err.code, cause: err.cause });
    const retryAfter = retryAfterSeconds(err);
    const headers: Record<string, string> = retryAfter !== undefined ? { "retry-after": String(retryAfter) } : {};
    // A 405 names the methods the resource has (RFC 9110).
    const allow = err.code === "method_not_allowed" ? err.details?.allow : undefined;
    if (Array.isArray(allow)) headers.allow = allow.join(", ");
    // A refused oversize or mistyped body is still on the wire, unread: end the connection.
    sendJson(res, errorStatus(err.code), err.toJSON(), err.code === "payload_too_large" || err.code === "unsupported_media_type", headers);
    return;
  }
  log.error("unhandled error", { err });
  sendInternalError(res);
}

/** The answer to an error the edge did not expect: `internal`, without its message (the log has it). */
export function sendInternalError(res: ServerResponse): void {
  const err = new ShardcastError("internal", "internal error");
  sendJson(res, errorStatus(err.code), err.toJSON());
}

const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;
// Fatal: a body that is not UTF-8 would otherwise be stored with U+FFFD in place of its bytes.
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** True when the request declares a JSON body (whatever its parameters). */
export function declaresJson(req: IncomingMessage): boolean {
  const type = req.headers["content-type"];
  return type !== undefined && JSON_MEDIA_TYPE.test(type);
}

/**
 * Reads a JSON body, refusing a body not declared `application/json` in UTF-8 (415, as the
 * console's tRPC does), more than `maxBytes` (413), and bytes that are not UTF-8 or not JSON (400).
 */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const text = await readJsonText(req, maxBytes);
  try {
    // JSON.parse does not recurse, so hostile nesting fails later, as a field, not here.
    return JSON.parse(text) as unknown;
  } catch (err) {
    const detail = err instanceof Error ? err.message : "parse error";
    throw new ShardcastError("bad_request", `malformed JSON: ${detail}`);
  }
}

/** `readJson`'s checks of the body's type, size and encoding; its text, not yet parsed. */
export async function readJsonText(req: IncomingMessage, maxBytes: number): Promise<string> {
  const type = req.headers["content-type"];
  if (type === undefined || !JSON_MEDIA_TYPE.test(type)) {
    throw new ShardcastError(
      "unsupported_media_type",
      type === undefined ? "missing content-type: send `content-type: application/json`" : `content-type "${type.slice(0, 100)}" is not supported: send application/json`,
    );
  }
  // JSON is UTF-8 (RFC 8259): a body in another charset would be read as the wrong characters.
  const charset = CHARSET.exec(type)?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw new ShardcastError("unsupported_media_type", `charset "${charset.slice(0, 40)}" is not supported: send JSON in UTF-8`);
  }
  const declared = Number(req.headers["content-length"] ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new ShardcastError("payload_too_large", `request body is ${declared} bytes; the limit is ${maxBytes}`);
  }
  // Plain listeners rather than for-await: leaving a for-await early destroys the socket before
  // the 413 can be written.
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        req.off("data", onData);
        req.pause();
        reject(new ShardcastError("payload_too_large", `request body exceeds the limit of ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks, total)));
    req.once("error", reject);
  });
  const total = body.length;
  if (total === 0) throw new ShardcastError("bad_request", "request body is empty: send a JSON object");
  try {
    return UTF8.decode(body);
  } catch {
    throw new ShardcastError("bad_request", "request body is not valid UTF-8: send JSON in UTF-8");
  }
}

export function intParam(url: URL, name: string, def: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ShardcastError("bad_request", `query parameter ${name} must be an integer from ${min} to ${max}`);
  }
  return n;
}

/** A time in the query string, in the range events may have (a time outside it matches nothing). */
export function timeParam(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return undefined;
  const asNum = Number(raw);
  const ms = parseTimestamp(Number.isFinite(asNum) ? asNum : raw);
  if (typeof ms === "string") throw new ShardcastError("bad_request", `query parameter ${name} ${ms}`);
  return ms;
}

/** A percent-encoded path segment as text that can be looked up (`what` names it in errors). */
export function pathParam(raw: string, what: string): string {
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    throw new ShardcastError("bad_request", `${what} in the path is not valid percent-encoded UTF-8`);
  }
  const problem = unstorableText(value);
  if (problem) throw new ShardcastError("bad_request", `${what} ${problem}`);
  return value;
}

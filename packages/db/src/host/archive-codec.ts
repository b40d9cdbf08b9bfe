import { promisify } from "node:util";
import { gunzip, gzipSync } from "node:zlib";
import { ShardcastError } from "@shardcast/core";

const gunzipAsync = promisify(gunzip);

/**
 * An archive batch is the gzip of `{"v":1,"seqs":[...],"payloads":["<jsonb text>", ...]}`. The
 * payloads stay the text PostgreSQL printed for them, not parsed values: a restore turns that text
 * back into the same jsonb (its md5 is checked against the row's), where a JSON.parse round trip
 * would change numbers such as 1.10 or integers past 2^53. gzip (node:zlib) rather than the
 * database's own TOAST compression: a batch is decompressed once per read that needs it, where a
 * jsonb batch would be decompressed once per row looked up in it.
 */
interface BatchBody {
  v: 1;
  seqs: number[];
  payloads: string[];
}

export function encodeBatch(rows: ReadonlyArray<{ seq: number; payloadText: string }>): Buffer {
  const body: BatchBody = { v: 1, seqs: rows.map((r) => r.seq), payloads: rows.map((r) => r.payloadText) };
  return gzipSync(JSON.stringify(body));
}

/** A batch's payload texts by seq. */
export async function decodeBatch(batchId: number, blob: Buffer): Promise<Map<number, string>> {
  let body: Partial<BatchBody>;
  try {
    body = JSON.parse((await gunzipAsync(blob)).toString("utf8")) as Partial<BatchBody>;
  } catch (err) {
    throw new ShardcastError("internal", `archive batch ${batchId} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { seqs, payloads } = body;
  if (body.v !== 1 || !Array.isArray(seqs) || !Array.isArray(payloads) || seqs.length !== payloads.length) {
    throw new ShardcastError("internal", `archive batch ${batchId} has an unknown layout`);
  }
  const out = new Map<number, string>();
  seqs.forEach((seq, i) => out.set(seq, payloads[i]!));
  return out;
}

/** The columns every archive-aware read adds: the row's batch (null: payload in the row) and, on batch rows, the blob. */
export interface ArchiveColumns {
  archive_batch: string | null;
  blob: Buffer | null;
}

/**
 * SQL for the batches that the rows of CTE `cte` need, as rows with `blob` set and `nulls` NULL
 * columns before `archive_batch`: appended to a read with UNION ALL, so the rows and their batches
 * come from one snapshot (a restore that runs meanwhile cannot leave a row without its payload).
 */
export function batchRowsSql(cte: string, nulls: readonly string[]): string {
  return `SELECT ${nulls.map((t) => `NULL::${t}`).join(", ")}, a.batch_id AS archive_batch, a.blob
  FROM sc_archive a WHERE a.batch_id IN (SELECT archive_batch FROM ${cte} WHERE archive_batch IS NOT NULL)`;
}

/**
 * Splits a read's result into its event rows and the payload text of each archived row, by seq.
 * Throws when a row's batch lacks it (a damaged archive is an error, never a silently empty payload).
 */
export async function splitArchived<R extends ArchiveColumns & { seq: string | null }>(rows: readonly R[]): Promise<{ rows: R[]; archived: Map<number, string> }> {
  const events: R[] = [];
  const blobs = new Map<number, Buffer>();
  for (const r of rows) {
    if (r.blob !== null) blobs.set(Number(r.archive_batch), r.blob);
    else events.push(r);
  }
  const archived = new Map<number, string>();
  // Every archived row is checked, also when no batch came back at all: nothing ties a row's
  // batch id to sc_archive, and a lost batch must be an error, never an event with a null payload.
  if (blobs.size === 0 && events.every((r) => r.archive_batch === null)) return { rows: events, archived };
  const decoded = new Map<number, Map<number, string>>();
  for (const [id, blob] of blobs) decoded.set(id, await decodeBatch(id, blob));
  for (const r of events) {
    if (r.archive_batch === null) continue;
    const seq = Number(r.seq);
    const text = decoded.get(Number(r.archive_batch))?.get(seq);
    if (text === undefined) throw new ShardcastError("internal", `archive batch ${r.archive_batch} lacks the payload of position ${seq}`);
    archived.set(seq, text);
  }
  return { rows: events, archived };
}

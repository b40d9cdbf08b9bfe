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

/** A batch's payload texts by seq; with `only`, just those of these positions (the others are dropped with the parsed body). */
export async function decodeBatch(batchId: number, blob: Buffer, only?: ReadonlySet<number>): Promise<Map<number, string>> {
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
  seqs.forEach((seq, i) => {
    if (!only || only.has(seq)) out.set(seq, payloads[i]!);
  });
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
 * Batches are unpacked one at a time and only the payloads of the rows given are kept: a batch holds
 * about 500 payloads of many keys, and a read by key needs one or two of them, so unpacking every
 * batch first would hold all their payloads at once. A batch no row needs (its rows were cut from
 * the page) is not unpacked at all.
 */
export async function splitArchived<R extends ArchiveColumns & { seq: string | null }>(rows: readonly R[]): Promise<{ rows: R[]; archived: Map<number, string> }> {
  const events: R[] = [];
  const blobs: Array<{ id: number; blob: Buffer }> = [];
  const wanted = new Map<number, Set<number>>();
  for (const r of rows) {
    if (r.blob !== null) {
      blobs.push({ id: Number(r.archive_batch), blob: r.blob });
      continue;
    }
    events.push(r);
    if (r.archive_batch === null) continue;
    const id = Number(r.archive_batch);
    const seqs = wanted.get(id) ?? new Set<number>();
    seqs.add(Number(r.seq));
    wanted.set(id, seqs);
  }
  const archived = new Map<number, string>();
  for (const { id, blob } of blobs) {
    const seqs = wanted.get(id);
    if (!seqs) continue;
    for (const [seq, text] of await decodeBatch(id, blob, seqs)) archived.set(seq, text);
  }
  // Every archived row is checked, also when no batch came back at all: nothing ties a row's
  // batch id to sc_archive, and a lost batch must be an error, never an event with a null payload.
  for (const [id, seqs] of wanted) {
    for (const seq of seqs) {
      if (!archived.has(seq)) throw new ShardcastError("internal", `archive batch ${id} lacks the payload of position ${seq}`);
    }
  }
  return { rows: events, archived };
}

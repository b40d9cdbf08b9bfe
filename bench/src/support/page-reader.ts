import path from "node:path";
import { fileURLToPath } from "node:url";
import { timedGet } from "./http-get.ts";
import { startIpcChild } from "./ipc-child.ts";

/**
 * Timed page reads for the cache suite, run in a process of their own (`reader-process.ts`): the
 * bench process generates and sends megabytes of events between rounds, and its collections
 * (4-7 ms) landed inside the reads it timed. The reader process holds nothing but the pages it is
 * reading, so what its clock shows is the servers' and the machine's.
 */

export interface ShardletPages {
  latencies: number[];
  /** Per page: the edge answered it from its cache alone (`x-shardcast-cache: hit`). */
  hits: boolean[];
  next: number;
}

export type ReaderRequest =
  | { kind: "shardlet"; edgeUrl: string; token: string; shardletId: string; after: number; client: string; limit: number }
  | { kind: "fixed"; url: string; pages: number };

interface ShardletPage {
  events: Array<{ seq: number }>;
  next: number;
  watermark: number;
}

/** Reads a shardlet's events after `after` up to what was there at the start, page by page; each page timed to its last byte. */
export async function readShardletPages(r: Extract<ReaderRequest, { kind: "shardlet" }>): Promise<ShardletPages> {
  const latencies: number[] = [];
  const hits: boolean[] = [];
  let position = r.after;
  for (let i = 0; i < 1_000; i++) {
    const res = await timedGet(`${r.edgeUrl}/v1/streams/bench/shardlets/${r.shardletId}/events?after=${position}&limit=${r.limit}`, {
      authorization: `Bearer ${r.token}`,
      "x-shardcast-client": r.client,
    });
    if (res.status !== 200) throw new Error(`shardlet read answered ${res.status}: ${res.body.toString("utf8")}`);
    // The clock stops at the answer's last byte: parsing it is the reader's work, the same whichever edge answered.
    latencies.push(res.ms);
    const page = JSON.parse(res.body.toString("utf8")) as ShardletPage;
    hits.push(res.headers["x-shardcast-cache"] === "hit");
    if (page.next <= position || page.next >= page.watermark) return { latencies, hits, next: page.next };
    position = page.next;
  }
  return { latencies, hits, next: position };
}

/** `pages` reads of the ideal server, timed like `readShardletPages`'s. */
export async function readFixedPages(url: string, pages: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < pages; i++) {
    const res = await timedGet(url);
    latencies.push(res.ms);
    if (res.status !== 200 || res.body.length === 0) throw new Error(`the ideal server answered ${res.status}`);
  }
  return latencies;
}

export interface PageReader {
  shardlet(r: Omit<Extract<ReaderRequest, { kind: "shardlet" }>, "kind">): Promise<ShardletPages>;
  fixed(url: string, pages: number): Promise<number[]>;
  close(): Promise<void>;
}

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "reader-process.ts");

/** Starts the reader process; requests are answered one at a time, in order. */
export async function startPageReader(): Promise<PageReader> {
  const child = await startIpcChild<ReaderRequest>(SCRIPT, "reader");
  return {
    shardlet: (r) => child.ask<ShardletPages>({ kind: "shardlet", ...r }),
    fixed: (url, pages) => child.ask<number[]>({ kind: "fixed", url, pages }),
    close: () => child.close(),
  };
}

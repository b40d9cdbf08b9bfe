import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { childEnv } from "../env.ts";
import { timedGet } from "./http-get.ts";

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
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", SCRIPT], { env: childEnv({}), stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let exited: Error | null = null;
  child.on("message", (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.ok) w?.resolve(m.value);
    else w?.reject(new Error(m.error ?? "the reader process failed"));
  });
  child.once("exit", (code) => {
    exited = new Error(`the reader process exited with code ${code}`);
    for (const w of waiting.values()) w.reject(exited);
    waiting.clear();
  });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", () => reject(exited ?? new Error("the reader process did not start")));
  });
  const ask = <T>(req: ReaderRequest): Promise<T> => {
    if (exited) return Promise.reject(exited);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, req });
    });
  };
  return {
    shardlet: (r) => ask<ShardletPages>({ kind: "shardlet", ...r }),
    fixed: (url, pages) => ask<number[]>({ kind: "fixed", url, pages }),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await done;
    },
  };
}

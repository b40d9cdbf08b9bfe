import path from "node:path";
import { fileURLToPath } from "node:url";
import { timedPost } from "./http-get.ts";
import { startIpcChild } from "./ipc-child.ts";

/**
 * The migration suite's range writers, in a process of their own (`writer-process.ts`): their
 * latency is the hand-off's pause, and in the bench process it also held the in-process mover's
 * work (its control-database queries ran on the same event loop, so a write that finished while
 * the mover computed was timed until the mover let go). A producer never shares a worker's
 * process, so the writers do not either.
 */

/** A write: when it was sent and when it was acknowledged (epoch ms), and its latency (ms). */
export interface TimedWrite {
  at: number;
  end: number;
  ms: number;
}

export interface WritersStart {
  edgeUrl: string;
  stream: string;
  token: string;
  /** Keys that all hash into the range. */
  keys: readonly string[];
  /** Prefix of the events' ids (unique per run). */
  tag: string;
  writers: number;
  batch: number;
}

export type WriterRequest = ({ kind: "start" } & WritersStart) | { kind: "samples"; from: number } | { kind: "count" } | { kind: "stop" };

/** The writer process's side: batches of `batch` events with ids, one at a time per writer, until stopped. */
export function writerLoops(): (req: WriterRequest) => Promise<unknown> {
  const samples: TimedWrite[] = [];
  let running: { stopped: boolean; all: Promise<unknown> } | null = null;
  return async (req) => {
    if (req.kind === "samples") return samples.slice(req.from);
    if (req.kind === "count") return samples.length;
    if (req.kind === "stop") {
      if (!running) return samples.length;
      running.stopped = true;
      await running.all;
      running = null;
      return samples.length;
    }
    if (running) throw new Error("the range writers are already running");
    const r = req;
    const url = `${r.edgeUrl}/v1/streams/${r.stream}/events`;
    const headers = { authorization: `Bearer ${r.token}` };
    let n = 0;
    const state = { stopped: false, all: Promise.resolve() as Promise<unknown> };
    state.all = Promise.all(
      Array.from({ length: r.writers }, async () => {
        while (!state.stopped) {
          const events = Array.from({ length: r.batch }, () => {
            const i = n++;
            return { key: r.keys[i % r.keys.length]!, id: `${r.tag}-${i}`, type: "range", payload: { i } };
          });
          const at = Date.now();
          const res = await timedPost(url, JSON.stringify({ events }), headers);
          if (res.status < 200 || res.status >= 300) throw new Error(`edge answered ${res.status}: ${res.body.toString("utf8")}`);
          samples.push({ at, end: at + res.ms, ms: res.ms });
        }
      }),
    );
    // A failed writer fails the suite where it is awaited (stop), not as an unhandled rejection meanwhile.
    state.all.catch(() => undefined);
    running = state;
    return null;
  };
}

export interface RangeWriters {
  /** The samples from index `from` on. */
  samples(from?: number): Promise<TimedWrite[]>;
  /** How many samples there are so far. */
  count(): Promise<number>;
  /** Stops the writers (a writer's failure rejects here) and the process. */
  stop(): Promise<void>;
}

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "writer-process.ts");

export async function startRangeWriters(start: WritersStart): Promise<RangeWriters> {
  const child = await startIpcChild<WriterRequest>(SCRIPT, "range writer");
  try {
    await child.ask({ kind: "start", ...start });
  } catch (err) {
    await child.close();
    throw err;
  }
  return {
    samples: (from = 0) => child.ask<TimedWrite[]>({ kind: "samples", from }),
    count: () => child.ask<number>({ kind: "count" }),
    stop: async () => {
      try {
        await child.ask({ kind: "stop" });
      } finally {
        await child.close();
      }
    },
  };
}

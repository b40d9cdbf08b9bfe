import { addFallbackCounts, checkDrainedRows, clearOverflowPending, markOverflowPending, settleOverflowRows, type DrainedRowCheck, type HostDriver, type OverflowRow } from "@shardcast/db";
import type { WorkerDeps } from "../deps.ts";
import { checkAborted } from "../domain/abort.ts";
import { targetFor } from "./shape.ts";

/** A live shardlet that drained overflow rows are written into (fenced at `epoch`). */
export interface DrainTarget {
  id: string;
  lo: number;
  hi: number;
  hostId: string;
  epoch: number;
  /**
   * Hosts holding history of its range (a hand-off's sealed source): an event id stored there is
   * the first copy of a re-send, so its overflow row is settled as a duplicate, not drained.
   */
  historyHostIds?: readonly string[];
}

export interface DrainResult {
  /** Rows drained for the first time (what the contention counters grew by). */
  drained: number;
  byTarget: Map<string, number>;
  /** Targets whose fence rejected the drain (changed meanwhile): their rows stay for the next drain. */
  blocked: string[];
  /** Overflow rows deleted because their event id was already stored under another seq. */
  duplicates: number;
  /** Overflow rows left in the log because their target holds a different event at their seq. */
  collisions: DrainedRowCheck["collisions"];
  /** Targets whose overflow-pending flag this drain cleared (their log range was empty): edges should reload routes. */
  cleared: string[];
}

export interface DrainOptions {
  streamId: string;
  /** The shard's home host, which holds its overflow log. */
  home: HostDriver;
  targets: readonly DrainTarget[];
  chunkRows: number;
  /** Stops a run of adjacent targets after this many chunks (edges with stale routes keep adding rows). */
  maxChunksPerRun?: number;
  /** Called before each chunk; throw to stop (lost lock, aborted job). */
  beforeChunk?: () => void;
  signal?: AbortSignal;
}

/**
 * Adjacent targets, sorted by range, grouped into runs that each cover one contiguous range: one
 * overflow read serves a whole run (a split's children are one run), and every row read belongs
 * to some target of it.
 */
export function contiguousRuns<T extends { lo: number; hi: number }>(targets: readonly T[]): T[][] {
  const sorted = [...targets].sort((a, b) => a.lo - b.lo);
  const runs: T[][] = [];
  for (const t of sorted) {
    const run = runs[runs.length - 1];
    const last = run?.[run.length - 1];
    if (run && last && last.hi === t.lo) run.push(t);
    else runs.push([t]);
  }
  return runs;
}

/** One chunk's rows grouped by the host of their target, then by target. */
function byHost(rows: readonly OverflowRow[], run: readonly DrainTarget[]): Map<string, Map<DrainTarget, OverflowRow[]>> {
  const out = new Map<string, Map<DrainTarget, OverflowRow[]>>();
  for (const r of rows) {
    // A run covers its range without gaps, so every row has a target.
    const t = targetFor(run, r.keyHash)!;
    let hostParts = out.get(t.hostId);
    if (!hostParts) out.set(t.hostId, (hostParts = new Map<DrainTarget, OverflowRow[]>()));
    const list = hostParts.get(t);
    if (list) list.push(r);
    else hostParts.set(t, [r]);
  }
  return out;
}

/**
 * Seqs of the rows a target's history hosts already store: their event id under another seq (a
 * re-send), or the very row at its seq (a sweep drained it into a shardlet that was handed off
 * before the row was marked drained). The sealed source of a hand-off takes no writes, so what it
 * holds is final. A same-seq match is confirmed in the host's events table, since the id lookup
 * also finds the overflow row itself when the history host is the shard's home host.
 */
async function idsInHistory(deps: WorkerDeps, streamId: string, rows: readonly OverflowRow[], run: readonly DrainTarget[]): Promise<Set<number>> {
  const byHost = new Map<string, OverflowRow[]>();
  for (const r of rows) {
    if (r.id === null) continue;
    for (const h of targetFor(run, r.keyHash)?.historyHostIds ?? []) {
      const list = byHost.get(h);
      if (list) list.push(r);
      else byHost.set(h, [r]);
    }
  }
  const out = new Set<number>();
  await Promise.all(
    [...byHost].map(async ([hostId, list]) => {
      const driver = await deps.hosts.get(hostId);
      const stored = await driver.storedEventIds(streamId, list.map((r) => r.id!));
      const atSeq: OverflowRow[] = [];
      for (const r of list) {
        const seq = stored.get(r.id!);
        if (seq !== undefined && seq !== r.seq) out.add(r.seq);
        else if (seq === r.seq) atSeq.push(r);
      }
      if (atSeq.length > 0) for (const seq of (await checkDrainedRows(driver, streamId, atSeq)).stored) out.add(seq);
    }),
  );
  return out;
}

/**
 * Moves undrained overflow rows into the targets that own their key hash, chunk by chunk: write
 * into the targets (one fenced statement per host; rows already there are skipped), check which
 * rows the targets really store (the same event at the row's seq), then on the home host mark
 * those drained and delete the rows whose event id is stored under another seq (an idempotent
 * re-send that reached the log while the first copy was in the shardlet), and count the drained
 * rows against their targets. A row whose seq holds a different event on the target stays in the
 * log: both events were acknowledged, readers return both, and the run reports it as an error.
 * Interrupted anywhere, running it again stores nothing twice and counts nothing twice.
 */
export async function drainOverflow(deps: WorkerDeps, o: DrainOptions): Promise<DrainResult> {
  const result: DrainResult = { drained: 0, byTarget: new Map(), blocked: [], duplicates: 0, collisions: [], cleared: [] };
  // Rows a chunk left in the log (collisions, rows the target did not store) come first in every
  // later read of their range: they are read past, so that a run reads each row once.
  const left = new Set<number>();
  const maxChunks = o.maxChunksPerRun ?? 1_000;
  const runs = contiguousRuns(o.targets);
  for (let run = runs.shift(); run; run = runs.shift()) {
    const lo = run[0]!.lo;
    const hi = run[run.length - 1]!.hi;
    // Flags this run cleared that no empty read after the clear has confirmed yet.
    let unconfirmed: string[] = [];
    const flagAgain = async () => {
      unconfirmed = [];
      await markOverflowPending(deps.db, o.streamId, [{ lo, hi }]);
    };
    for (let chunk = 0; chunk < maxChunks || unconfirmed.length > 0; chunk++) {
      const limit = o.chunkRows + left.size;
      let read: OverflowRow[];
      try {
        o.beforeChunk?.();
        checkAborted(o.signal);
        read = await o.home.overflowChunk(o.streamId, lo, hi, limit);
      } catch (err) {
        if (unconfirmed.length > 0) await flagAgain().catch(() => undefined);
        throw err;
      }
      const rows = left.size === 0 ? read : read.filter((r) => !left.has(r.seq));
      if (rows.length === 0) {
        // Nothing left to drain in the run's range: its targets' flags are cleared, then the range
        // is read once more, since an edge may have appended between the read and the clear (its
        // flag after the append then came before the clear). Rows left in the log (collisions)
        // keep the flag: their ids are still only there.
        if (read.length > 0) {
          if (unconfirmed.length > 0) await flagAgain();
          break;
        }
        if (unconfirmed.length > 0) {
          result.cleared.push(...unconfirmed);
          break;
        }
        unconfirmed = await clearOverflowPending(deps.db, run.map((t) => t.id));
        if (unconfirmed.length === 0) break;
        continue;
      }
      // Rows appended around the clear: flagged again before they are drained.
      if (unconfirmed.length > 0) await flagAgain();
      const drained: number[] = [];
      const duplicates: number[] = [];
      const targetOf = new Map<number, DrainTarget>();
      const blocked = new Set<DrainTarget>();
      const inHistory = await idsInHistory(deps, o.streamId, rows, run);
      for (const [hostId, parts] of byHost(rows.filter((r) => !inHistory.has(r.seq)), run)) {
        const driver = await deps.hosts.get(hostId);
        const entries = [...parts];
        const results = await driver.drainWrite({
          streamId: o.streamId,
          parts: entries.map(([t, list]) => ({
            shardletId: t.id,
            epoch: t.epoch,
            events: list.map((r) => ({
              key: r.key,
              id: r.id,
              type: r.type,
              ts: r.ts,
              payloadJson: r.payloadJson,
              sizeBytes: r.sizeBytes,
              seq: r.seq,
              keyHash: r.keyHash,
              // The second the row reached the log: a drain repeated after a crash meets its first copy.
              part: r.part,
            })),
          })),
        });
        const written: OverflowRow[] = [];
        entries.forEach(([t, list], i) => {
          if (!results[i]?.ok) {
            blocked.add(t);
            return;
          }
          for (const r of list) {
            written.push(r);
            targetOf.set(r.seq, t);
          }
        });
        const check = await checkDrainedRows(driver, o.streamId, written);
        drained.push(...check.stored);
        duplicates.push(...check.duplicates);
        result.collisions.push(...check.collisions);
        const done = new Set([...check.stored, ...check.duplicates]);
        for (const r of written) if (!done.has(r.seq)) left.add(r.seq);
      }
      duplicates.push(...inHistory);
      const settled = await settleOverflowRows(o.home, o.streamId, { drained, duplicates });
      result.duplicates += settled.deleted;
      const counts = new Map<string, number>();
      for (const seq of settled.marked) {
        const id = targetOf.get(seq)!.id;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      if (counts.size > 0) {
        await addFallbackCounts(deps.db, counts);
        for (const [id, n] of counts) {
          result.drained += n;
          result.byTarget.set(id, (result.byTarget.get(id) ?? 0) + n);
        }
      }
      if (blocked.size > 0) {
        // The blocked targets' rows would come back in every chunk: drain the rest of the run
        // as smaller runs without them.
        for (const t of blocked) result.blocked.push(t.id);
        runs.unshift(...contiguousRuns(run.filter((t) => !blocked.has(t))));
        break;
      }
      // A short read is not the end: the next read finds the range empty and clears its flags.
    }
  }
  if (result.collisions.length > 0) {
    deps.log.error("overflow rows left undrained: their target holds a different event at the same seq", {
      streamId: o.streamId,
      count: result.collisions.length,
      collisions: result.collisions.slice(0, 20),
    });
  }
  return result;
}

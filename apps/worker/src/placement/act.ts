import { ShardcastError, type PlacementDecision, type PlacementSettings, type ShardletPlacementState } from "@shardcast/core";
import { recordOperation, type ShardletInfo } from "@shardcast/db";
import type { PlacementDecisionRecord, PlacementState } from "@shardcast/runtime";
import { archiveRange, restoreRange } from "./archive.ts";
import type { PlacementDeps } from "./deps.ts";

/** Batches one decision archives (or restores) per run; a larger backlog goes on at the next run. */
const MAX_CHUNKS_PER_DECISION = 40;
/** A shardlet whose archive or restore failed is left alone this long (a damaged batch fails every try). */
export const FAILURE_BACKOFF_MS = 60 * 60_000;

export interface ActContext {
  deps: PlacementDeps;
  state: PlacementState;
  settings: PlacementSettings;
  now: number;
  actor: string;
  signal?: AbortSignal;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Carries out one archive or restore decision and records it (operations log, the decision's
 * reason, the state the next run rewards). A failure is this shardlet's, not the run's: it is
 * logged and recorded as failed, the shardlet is left alone for an hour, and the run goes on.
 * Returns the archived events (0 for a restore or a failure).
 */
export async function act(c: ActContext, d: PlacementDecision & { arm: "archive" | "restore" }, s: ShardletInfo, measured: ShardletPlacementState | undefined, record: PlacementDecisionRecord): Promise<number> {
  const range = { streamId: s.streamId, lo: s.lo, hi: s.hi };
  const started = c.deps.clock();
  const kind = d.arm === "archive" ? "placement.archive" : "placement.restore";
  const op = { kind, streamId: s.streamId, shardletId: d.shardletId, hostId: s.hostId, actor: c.actor };
  // Batches committed before a failure stay archived: the failure's record must count them.
  let done = { events: 0, rawBytes: 0 };
  try {
    const driver = await c.deps.hosts.get(s.hostId);
    if (d.arm === "archive") {
      const r = await archiveRange(driver, range, {
        storedBefore: c.now - c.settings.archiveAfterSec * 1000,
        maxChunks: MAX_CHUNKS_PER_DECISION,
        afterSeq: measured?.archivedMaxSeq ?? 0,
        upToSeq: measured?.archiveUpTo ?? 0,
        onChunk: (p) => {
          done = { events: p.events, rawBytes: p.rawBytes };
        },
        ...(c.signal ? { signal: c.signal } : {}),
      });
      const had = c.state.archived[d.shardletId] ?? { events: 0, bytes: 0 };
      if (r.events > 0) {
        // Payload bytes stand in for the rows' sizes until the next run measures them.
        c.state.archived[d.shardletId] = { events: had.events + r.events, bytes: had.bytes + r.rawBytes };
        c.state.pending.push({ shardletId: d.shardletId, context: d.context, rawBytes: r.rawBytes, storedBytes: r.storedBytes, at: c.now });
      }
      record.reason += `; archived ${r.events} events, ${r.rawBytes} -> ${r.storedBytes} bytes${r.complete ? "" : " (more next run)"}`;
      await recordOperation(c.deps.db, {
        ...op,
        status: "succeeded",
        message: record.reason,
        details: { context: d.context, events: r.events, batches: r.batches, rawBytes: r.rawBytes, storedBytes: r.storedBytes, complete: r.complete },
        durationMs: c.deps.clock() - started,
      });
      return r.events;
    }
    const r = await restoreRange(driver, range, { maxRounds: MAX_CHUNKS_PER_DECISION, ...(c.signal ? { signal: c.signal } : {}) });
    if (r.complete) delete c.state.archived[d.shardletId];
    record.reason += `; restored ${r.events} events from ${r.batches} batches${r.complete ? "" : " (more next run)"}`;
    await recordOperation(c.deps.db, {
      ...op,
      status: "succeeded",
      message: record.reason,
      details: { context: d.context, events: r.events, batches: r.batches, complete: r.complete },
      durationMs: c.deps.clock() - started,
    });
    return 0;
  } catch (err) {
    // A stopped job stops the run; anything else is this shardlet's failure.
    if (c.signal?.aborted) throw err;
    c.state.backoff[d.shardletId] = c.now + FAILURE_BACKOFF_MS;
    const partial = done.events > 0 ? ` after archiving ${done.events} events` : "";
    record.reason += `; failed${partial}: ${errorMessage(err)} (left alone for ${FAILURE_BACKOFF_MS / 60_000} min)`;
    c.deps.log.error(`placement: ${d.arm} failed`, { shardletId: d.shardletId, hostId: s.hostId, err });
    await recordOperation(c.deps.db, { ...op, status: "failed", message: record.reason, details: { context: d.context, code: err instanceof ShardcastError ? err.code : null, events: done.events, rawBytes: done.rawBytes }, durationMs: c.deps.clock() - started }).catch(() => undefined);
    return 0;
  }
}

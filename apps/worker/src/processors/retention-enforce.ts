import {
  getRetentionSettings,
  hostPartitions,
  hostStreamIds,
  hostStreamStarts,
  listReachableHosts,
  listStreamRetention,
  partitionedHost,
  recordStartMove,
  recordStreamStarts,
  setPartitionSpan,
  type StreamRetentionRow,
} from "@shardcast/db";
import type { ConsumerProgress } from "@shardcast/runtime";
import type { WorkerDeps } from "../deps.ts";
import { checkAborted } from "../domain/abort.ts";
import { probeErrorMessage } from "../domain/health.ts";
import { dropExpired } from "../retention/drops.ts";
import { moveStreamStarts, streamCutoffs, type HostView, type StreamStart } from "../retention/starts.ts";
import { countExpiredUnread } from "../retention/unread.ts";

export interface RetentionResult {
  hosts: number;
  /** Hosts skipped: unreachable, or not partitioned yet (their host migration has not run). */
  skippedHosts: string[];
  created: number;
  dropped: number;
  freedBytes: number;
  freedEvents: number;
  /** Streams whose start was recorded (first kept position). */
  streams: number;
  /** Events that expired before a consumer group read them, counted this run (over every group). */
  expiredUnread: number;
  /** Streams whose unread events could not be counted (or whose start another run moved meanwhile): no partition was dropped this run. */
  uncounted: number;
  /** Hosts whose event ids rotated (the previous generation dropped), and the bytes that freed. */
  idRotations: number;
  idBytesFreed: number;
}

/** A host's partitions after the ones due ahead are created, and the streams it holds. */
async function viewOf(deps: WorkerDeps, host: { id: string; name: string }, span: number, ahead: number): Promise<{ view: HostView; created: number } | null> {
  const driver = await deps.hosts.get(host.id);
  if (!(await partitionedHost(driver))) return null;
  await setPartitionSpan(driver, span);
  const created = await driver.ensurePartitions([], { spanSec: span, ahead });
  const [parts, streams, starts] = await Promise.all([hostPartitions(driver), hostStreamIds(driver), hostStreamStarts(driver)]);
  return { view: { id: host.id, name: host.name, driver, parts, streams: new Set(streams), starts }, created };
}

/**
 * `retention.enforce`: on every partitioned host, create the partitions due ahead; move each
 * stream's start past what expired (its retention, or its size cap), so reads forget it at once;
 * then drop the partitions no stream keeps anything of and record what they held. Time comes from
 * `deps.clock`, so a test moves it forward instead of waiting. Work per run follows what changed:
 * partitions created and dropped, and per stream the rows that expired since the last run.
 */
export async function runRetention(deps: WorkerDeps, opts: { signal?: AbortSignal; progress?: ConsumerProgress } = {}): Promise<RetentionResult> {
  const { db } = deps;
  const started = performance.now();
  const settings = await getRetentionSettings(db);
  const nowSec = Math.floor(deps.clock() / 1000);
  const [hosts, streams] = await Promise.all([listReachableHosts(db), listStreamRetention(db)]);
  const skippedHosts: string[] = [];
  const views: HostView[] = [];
  let created = 0;
  const opened = await Promise.allSettled(hosts.map((h) => viewOf(deps, h, settings.partitionSpanSec, settings.partitionsAhead)));
  opened.forEach((r, i) => {
    const host = hosts[i]!;
    if (r.status === "fulfilled" && r.value) {
      views.push(r.value.view);
      created += r.value.created;
      return;
    }
    skippedHosts.push(host.name);
    if (r.status === "rejected") deps.log.warn("retention skipped a host", { hostId: host.id, host: host.name, error: probeErrorMessage(r.reason) });
  });
  checkAborted(opts.signal);

  const cutoffs = await streamCutoffs(streams, views, nowSec);
  const starts = await moveStreamStarts(streams, views, cutoffs);
  const { unmoved, uncounted, expiredUnread } = await recordMoves(deps, opts.progress, streams, views, starts);
  // Starts that did not move may still have a new oldest event (rows stored out of position order).
  await recordStreamStarts(
    db,
    unmoved.map((s) => ({ streamId: s.streamId, startSeq: s.startSeq, oldestEventAt: oldestOf(s) })),
  );
  checkAborted(opts.signal);

  let dropped = 0;
  let freedBytes = 0;
  let freedEvents = 0;
  let idRotations = 0;
  let idBytesFreed = 0;
  // Rows a group has not read are counted before they can go; a count that failed holds every drop back.
  if (settings.enabled && uncounted === 0) {
    for (const view of views) {
      checkAborted(opts.signal);
      try {
        const expiry = await dropExpired(db, view, cutoffs, nowSec, settings.maxDropsPerRun);
        for (const d of expiry.dropped) {
          dropped++;
          freedBytes += d.bytes;
          freedEvents += d.events;
        }
        if (expiry.rotation?.rotated) {
          idRotations++;
          idBytesFreed += expiry.rotation.droppedBytes;
        } else if (expiry.rotation?.reason === "busy") {
          // Due, but writers held the id table past the lock timeout: tried again at the next run.
          deps.log.info("event id rotation postponed: writes held the id table past the lock timeout", { hostId: view.id, host: view.name });
        }
      } catch (err) {
        deps.log.warn("retention could not drop a host's partitions", { hostId: view.id, host: view.name, error: probeErrorMessage(err) });
      }
    }
  }
  if (created + dropped + idRotations > 0) deps.log.info("retention", { created, dropped, freedBytes, freedEvents, idRotations, idBytesFreed, ms: Math.round(performance.now() - started) });
  return { hosts: hosts.length, skippedHosts, created, dropped, freedBytes, freedEvents, streams: starts.length, expiredUnread, uncounted, idRotations, idBytesFreed };
}

const oldestOf = (s: StreamStart): Date | null => (s.oldestSec === null ? null : new Date(s.oldestSec * 1000));

/**
 * Records the starts that moved, each with what it forgot of its consumer groups' unread events
 * (`recordStartMove`: counted once, with the move). A stream whose count failed (a host that did
 * not answer), or whose start another run moved meanwhile, keeps the start recorded in the control
 * database and holds this run's drops back, so the next run counts from there before anything
 * goes. Returns the starts that did not move.
 */
async function recordMoves(
  deps: WorkerDeps,
  progress: ConsumerProgress | undefined,
  streams: readonly StreamRetentionRow[],
  views: readonly HostView[],
  starts: readonly StreamStart[],
): Promise<{ unmoved: StreamStart[]; uncounted: number; expiredUnread: number }> {
  const before = new Map(streams.map((s) => [s.id, s.startSeq]));
  const unmoved: StreamStart[] = [];
  let uncounted = 0;
  let expiredUnread = 0;
  for (const s of starts) {
    const fromSeq = before.get(s.streamId) ?? 0;
    if (s.startSeq <= fromSeq) {
      unmoved.push(s);
      continue;
    }
    try {
      const groups = await countExpiredUnread(deps.db, progress, { streamId: s.streamId, fromSeq, toSeq: s.startSeq }, views.filter((v) => v.streams.has(s.streamId)));
      if (!(await recordStartMove(deps.db, { streamId: s.streamId, fromSeq, toSeq: s.startSeq, oldestEventAt: oldestOf(s), groups }))) {
        // Another run moved the start meanwhile, to a position this count did not start from:
        // nothing is dropped before the next run has counted from where that one left it.
        uncounted++;
        continue;
      }
      for (const g of groups) expiredUnread += g.events;
      if (groups.length > 0) deps.log.warn("events expired before consumer groups read them", { streamId: s.streamId, groups: groups.length, events: groups.reduce((n, g) => n + g.events, 0), startSeq: s.startSeq });
    } catch (err) {
      uncounted++;
      deps.log.warn("retention could not count a stream's unread events: its partitions wait for the next run", { streamId: s.streamId, error: probeErrorMessage(err) });
    }
  }
  return { unmoved, uncounted, expiredUnread };
}

import { CopyPacer, sleep, type MigrationSettings } from "@shardcast/core";
import {
  appendMigrationEvent,
  deleteUnfencedRows,
  dropLeftoverFence,
  getClusterId,
  getHostStatus,
  getMigrationSettings,
  listDestinationLeftovers,
  readHostIdentity,
  type DestinationLeftover,
  type HostDriver,
} from "@shardcast/db";
import type { WorkerDeps } from "../deps.ts";
import { checkAborted } from "../domain/abort.ts";
import { probeErrorMessage } from "../domain/health.ts";
import { afterStep, type MigrationContext } from "./context.ts";
import type { DestinationProblem } from "./context.ts";
import { orUnreachable, withDestination } from "./destination.ts";
import { sharedDatabase } from "./same-database.ts";

/**
 * A migration given up while its destination could not be reached leaves its partial copy there
 * (its fence of the shardlet, rows of the range, perhaps totals): the source holds every event, so
 * nothing waited for the destination. The event-log line that says so carries what the sweep
 * needs (`leftoverMark`); the migration scheduler's runs then remove the copy once the host answers
 * again, and log "cleaned". The copy is harmless meanwhile: no route names that host for the range,
 * and a later migration into an overlapping range verifies what it finds there.
 */

/** Ended migrations this old are no longer swept (their host has stayed away for a month). */
const SWEEP_WINDOW_MS = 30 * 24 * 3_600_000;
/** One sweep's budget: a large copy is removed over several scheduler runs. */
const SWEEP_BUDGET_MS = 10_000;
const FIRST_RETRY_MS = 60_000;
const MAX_RETRY_MS = 3_600_000;

/** The event-log details that leave the destination's copy to the sweep; `epoch` is the highest it was fenced at. */
export function leftoverMark(ctx: MigrationContext, epoch: number): Record<string, unknown> {
  return {
    leftover: "pending",
    hostId: ctx.m.destHostId,
    streamId: ctx.range.streamId,
    shardletId: ctx.m.shardletId,
    lo: ctx.range.lo,
    hi: ctx.range.hi,
    epoch,
  };
}

/** When each leftover may be tried again after its host did not answer (per worker, kept in memory). */
const backoffs = new WeakMap<WorkerDeps, Map<string, { at: number; delayMs: number }>>();

export interface LeftoverSweepResult {
  cleaned: number;
  /** Given up: the host is no longer registered, or its database turned out not to be the destination's own. */
  skipped: number;
  /** Still there: the host is down or did not answer, or the budget ran out. */
  pending: number;
}

/** A destination statement with its caller's bounds and retries around it. */
type DestinationOp = <T>(what: string, fn: (dest: HostDriver) => Promise<T>) => Promise<T>;

/**
 * Removes a copy from a destination: the fence first, if still the migration's (at or below
 * `epoch`), so shadow writes of edges with old routes stop landing; then, paced, the range's rows
 * that no fence on the host covers any more (rows of shardlets the host owns, takes in or gives
 * away stay); then archive batches no row needs. Whether the database is the destination's own is
 * the caller's to check first. Returns the rows removed, or null when `until` passed first.
 */
async function removeUnfenced(
  deps: WorkerDeps,
  settings: MigrationSettings,
  copy: { shardletId: string; streamId: string; lo: number; hi: number; epoch: number },
  op: DestinationOp,
  opts: { signal?: AbortSignal | undefined; until?: number; afterFence?: () => Promise<void> } = {},
): Promise<number | null> {
  const { shardletId, streamId, lo, hi, epoch } = copy;
  await op("destination fence", (d) => dropLeftoverFence(d, { shardletId, epoch }));
  await opts.afterFence?.();
  const pacer = new CopyPacer(settings.cleanupRowsPerSecond, deps.clock());
  let removed = 0;
  for (;;) {
    checkAborted(opts.signal);
    if (opts.until !== undefined && deps.clock() >= opts.until) return null;
    const n = await op("destination delete", (d) => deleteUnfencedRows(d, { streamId, lo, hi, limit: settings.cleanupChunkRows }));
    if (n === 0) break;
    removed += n;
    await sleep(pacer.add(n, deps.clock()), opts.signal);
  }
  await op("destination archive", (d) => d.sweepArchive(streamId));
  return removed;
}

/**
 * The removal above, by the migration itself right after it ended with its switch undone, each
 * step bounded as its other destination steps are. Having ended, it no longer keeps the shardlet
 * from being moved to that host again meanwhile, so it removes only what the sweep would: a fence
 * still its own (at or below `epoch`), rows no fence covers. A new migration's fence and copied
 * rows stay. Returns the rows removed, why nothing may be removed there (one database), or why the
 * destination could not be reached.
 */
export async function removeEndedCopy(ctx: MigrationContext, epoch: number): Promise<number | string | DestinationProblem> {
  const { deps, m, range, settings } = ctx;
  return orUnreachable(ctx, async () => {
    // On one database the "destination's" fence is the source's, reopened at `epoch`.
    const shared = await sharedDatabase(ctx);
    if (shared) return shared;
    const removed = await removeUnfenced(deps, settings, { ...range, shardletId: m.shardletId, epoch }, (what, fn) => withDestination(ctx, what, fn), {
      signal: ctx.signal,
      afterFence: () => afterStep(ctx, "cancel.dest-fence"),
    });
    await afterStep(ctx, "cancel.rows");
    return removed ?? 0;
  });
}

/**
 * What one sweep reads of the control database and the hosts, once whatever the number of
 * leftovers: a host that does not answer costs one try per sweep, not one per leftover.
 */
class SweepReads {
  private readonly statuses = new Map<string, Promise<{ name: string; status: string } | null>>();
  private readonly identities = new Map<string, Promise<{ driver: HostDriver; foreign: string | null }>>();

  constructor(
    private readonly deps: WorkerDeps,
    readonly settings: MigrationSettings,
    private readonly clusterId: string,
  ) {}

  static async load(deps: WorkerDeps): Promise<SweepReads> {
    const [settings, clusterId] = await Promise.all([getMigrationSettings(deps.db), getClusterId(deps.db)]);
    return new SweepReads(deps, settings, clusterId);
  }

  status(hostId: string): Promise<{ name: string; status: string } | null> {
    return memo(this.statuses, hostId, () => getHostStatus(this.deps.db, hostId));
  }

  /**
   * The host's driver, and why nothing may be removed there unless its database carries the
   * destination's own identity marker: a destination that did not answer might have been another
   * host's database (the source's) under a DSN that no longer worked, whose fence and rows are live.
   */
  identity(hostId: string): Promise<{ driver: HostDriver; foreign: string | null }> {
    return memo(this.identities, hostId, async () => {
      const driver = await this.deps.hosts.get(hostId);
      const marker = await readHostIdentity(driver);
      if (marker?.hostId === hostId && marker.clusterId === this.clusterId) return { driver, foreign: null };
      return { driver, foreign: `its database carries ${marker ? `the identity marker of host "${marker.hostName}"` : "no identity marker"}, not the destination's` };
    });
  }
}

function memo<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) cache.set(key, (p = load()));
  return p;
}

/** Removes a leftover (see removeUnfenced); returns the rows removed, why nothing may be removed there, or null when the budget ran out. */
async function removeLeftover(deps: WorkerDeps, reads: SweepReads, l: DestinationLeftover, until: number, signal?: AbortSignal): Promise<number | string | null> {
  const { driver, foreign } = await reads.identity(l.hostId);
  if (foreign) return foreign;
  return removeUnfenced(deps, reads.settings, l, (_what, fn) => fn(driver), { signal, until });
}

/** One sweep over the leftovers (see the top of this file); errors of a host stay with its leftover. */
export async function sweepDestinationLeftovers(deps: WorkerDeps, opts: { signal?: AbortSignal } = {}): Promise<LeftoverSweepResult> {
  const out: LeftoverSweepResult = { cleaned: 0, skipped: 0, pending: 0 };
  const leftovers = await listDestinationLeftovers(deps.db, new Date(deps.clock() - SWEEP_WINDOW_MS));
  if (leftovers.length === 0) return out;
  let waits = backoffs.get(deps);
  if (!waits) backoffs.set(deps, (waits = new Map<string, { at: number; delayMs: number }>()));
  const until = deps.clock() + SWEEP_BUDGET_MS;
  const reads = await SweepReads.load(deps);
  for (const l of leftovers) {
    checkAborted(opts.signal);
    const wait = waits.get(l.migrationId);
    if ((wait && deps.clock() < wait.at + wait.delayMs) || deps.clock() >= until) {
      out.pending++;
      continue;
    }
    const host = await reads.status(l.hostId);
    if (!host) {
      // Unregistered: no later sweep can reach it, so it is not counted (or read) for a month.
      waits.delete(l.migrationId);
      await appendMigrationEvent(deps.db, {
        migrationId: l.migrationId,
        phase: l.phase,
        level: "warn",
        message: `Destination not cleaned, and no longer tried: the host ${l.hostId} is no longer registered`,
        details: { leftover: "skipped", hostId: l.hostId },
      });
      out.skipped++;
      continue;
    }
    if (host.status === "down") {
      out.pending++;
      continue;
    }
    try {
      const removed = await removeLeftover(deps, reads, l, until, opts.signal);
      if (removed === null) {
        out.pending++;
        continue;
      }
      waits.delete(l.migrationId);
      await appendMigrationEvent(
        deps.db,
        typeof removed === "number"
          ? {
              migrationId: l.migrationId,
              phase: l.phase,
              message: `Destination cleaned: the host ${host.name} answers again; the partial copy left there was removed (${removed} rows)`,
              details: { leftover: "cleaned", hostId: l.hostId, removed },
            }
          : {
              migrationId: l.migrationId,
              phase: l.phase,
              level: "warn",
              message: `Destination not cleaned, and no longer tried: the host ${host.name} answers again, but ${removed}`,
              details: { leftover: "skipped", hostId: l.hostId },
            },
      );
      if (typeof removed === "number") out.cleaned++;
      else out.skipped++;
    } catch (err) {
      checkAborted(opts.signal);
      const delayMs = Math.min(MAX_RETRY_MS, wait ? wait.delayMs * 2 : FIRST_RETRY_MS);
      waits.set(l.migrationId, { at: deps.clock(), delayMs });
      deps.log.debug("destination leftover not removed yet", { migrationId: l.migrationId, hostId: l.hostId, error: probeErrorMessage(err) });
      out.pending++;
    }
  }
  return out;
}

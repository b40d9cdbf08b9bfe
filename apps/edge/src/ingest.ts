import { addFast, holdBack, keyHash, planWrite, ShardcastError, validateBatch, type IncomingEvent, type IngestLimits, type RoutingTable, type ShardletRoute } from "@shardcast/core";
import type { HostBatchWrite } from "@shardcast/db/host";
import type { Logger, SequenceAllocator } from "@shardcast/runtime";
import { failureOutcome, streamLabel } from "./failure-labels.ts";
import type { IngestedEvent, IngestObserver } from "./ingest-observer.ts";
import type { Admit, HostWriter, IngestResult } from "./ingest-types.ts";
import { startEarlyLookup, storedElsewhere } from "./early-id-lookup.ts";
import { appendOverflowOnce } from "./overflow-append.ts";
import { waitForHolds, type HoldDeps, type WriteHolds } from "./write-holds.ts";
import type { RoutingCache } from "./routing-cache.ts";

export type { Admit, HostWriter, IngestResult } from "./ingest-types.ts";
export type { WriteHolds } from "./write-holds.ts";

/** A fence rejection means our route is stale; after this many refreshes we give up with 503. */
const MAX_ROUTE_ATTEMPTS = 4;

type Pending = { index: number; hash: number; event: IncomingEvent; seq: number };

/** One attempt at a batch: what its host writes fill in (results, refusals, failures). */
interface Attempt {
  streamId: string;
  table: RoutingTable;
  results: Array<IngestedEvent | undefined>;
  /** Events a fence refused (sent again on fresh routes), and the epochs they were refused at. */
  retry: Pending[];
  refused: Map<string, number>;
  failures: unknown[];
}

const NO_HOSTS: readonly string[] = [];

/**
 * The write path: validate the whole batch (nothing is stored if any event is bad), route each
 * event by key hash, take one block of global sequence numbers, write each host's events in one
 * statement that checks every shardlet's fence, and retry what a fence rejected after refreshing the route.
 * The caller acks only after this resolves, i.e. after every host committed.
 */
export class IngestService {
  constructor(
    private readonly deps: {
      routing: RoutingCache;
      sequences: SequenceAllocator;
      hosts: HostWriter;
      /** Whether a job holds the shardlet's op-lock (the edge's in-memory view). */
      isLocked: (shardletId: string) => boolean;
      /** Locks whose writes wait for the change instead of taking the overflow log (see write-holds.ts). */
      holds?: WriteHolds;
      /** Flags the routes' ranges overflow-pending (see `markOverflowPending`) and tells the edges. */
      flagOverflowPending?: (streamId: string, routes: ReadonlyArray<ShardletRoute>) => Promise<void>;
      observer?: IngestObserver;
      limits: IngestLimits;
      log: Logger;
      clock?: () => number;
    },
  ) {}

  /**
   * `admit` is told the valid batch's events and bytes before anything is stored or numbered, and
   * refuses it by throwing (the key's quota).
   */
  async ingest(streamName: string, body: unknown, admit?: Admit): Promise<IngestResult> {
    const observer = this.deps.observer;
    if (!observer?.answered) return this.write(streamName, body, admit);
    const started = performance.now();
    try {
      const res = await this.write(streamName, body, admit);
      observer.answered(streamName, { outcome: "accepted", events: res.events.length, accepted: res.accepted, duplicates: res.duplicates, latencyMs: performance.now() - started });
      return res;
    } catch (err) {
      const sent = (body as { events?: unknown } | null)?.events;
      observer.answered(streamLabel(streamName, err), {
        outcome: failureOutcome(err),
        events: Array.isArray(sent) ? sent.length : 0,
        accepted: 0,
        duplicates: 0,
        latencyMs: performance.now() - started,
      });
      throw err;
    }
  }

  private async write(streamName: string, body: unknown, admit: Admit | undefined): Promise<IngestResult> {
    const { routing, sequences, limits } = this.deps;
    const started = performance.now();
    let entry = await routing.get(streamName);
    if (!entry) throw new ShardcastError("not_found", `unknown stream "${streamName}"`);
    const now = (this.deps.clock ?? Date.now)();
    const events = validateBatch(body, { limits, keyField: entry.meta.keyField, now });
    if (admit) {
      let bytes = 0;
      for (const e of events) bytes += e.sizeBytes;
      await admit(events.length, bytes);
    }
    let hashes: number[] | null = null;
    const hashesOf = () => (hashes ??= events.map((e) => keyHash(e.key)));
    if (this.deps.holds?.anyHeld()) entry = await waitForHolds(this.holdDeps(), streamName, entry, hashesOf);
    const streamId = entry.meta.id;
    const early = startEarlyLookup(this.deps.hosts, streamId, entry, events, hashesOf, this.deps.isLocked);
    const asked = performance.now();
    const block = await sequences.allocate(streamId, events.length);
    this.deps.observer?.sequenced?.(performance.now() - asked);
    const results: Array<IngestedEvent | undefined> = new Array<IngestedEvent | undefined>(events.length);
    try {
      const hashed = hashesOf();
      let pending: Pending[] = events.map((event, index) => ({ index, event, hash: hashed[index]!, seq: block.lo + index }));
      // Shardlets whose fence refused the previous attempt, with the epoch we used. If the fresh
      // route still has that epoch, the change is in progress: those events take the overflow.
      let refused = new Map<string, number>();
      // Attempts whose fence refused some events (held-back events alone do not count).
      let refusals = 0;
      for (let attempt = 1; pending.length > 0; attempt++) {
        // A held lock (hand-off, split, merge) seen while the batch took its numbers, or refused by its fence before
        // this edge saw the lock: held like the writes that came after it.
        if (this.deps.holds?.anyHeld()) {
          const these = pending;
          entry = await waitForHolds(this.holdDeps(), streamName, entry, () => these.map((p) => p.hash));
        }
        const { table } = entry;
        const plan = planWrite(pending, { table, shards: entry.shards, isLocked: (id) => this.deps.isLocked(id), refused });
        if (plan.flagged.length > 0) {
          // An id stored there is answered with its position, not stored again.
          const { stored: inLog, early: answered } = await storedElsewhere(this.deps.hosts, streamId, plan.flagged, { lookup: attempt === 1 ? early : null, table }).catch((err: unknown) => {
            throw this.partialFailure(results, [err]);
          });
          this.deps.observer?.idsLookedUp?.(plan.flagged.length, answered);
          for (const { p, route, id } of plan.flagged) {
            const stored = inLog.get(id);
            if (stored !== undefined && stored !== p.seq) results[p.index] = { seq: stored, shardletId: route.id, duplicate: true };
            else addFast(plan, p, route);
          }
        }
        // A lock that asked to hold writes may have come while the ids were looked up: its events
        // wait for it at the next attempt rather than meet the fence it raises at the host.
        const holds = plan.flagged.length > 0 && this.deps.holds?.anyHeld() ? this.deps.holds : null;
        const heldBack = holds ? holdBack(plan, (id) => (holds.heldUntil(id) ?? 0) > (this.deps.clock ?? Date.now)()) : [];
        // Every host at once; each fills in the attempt's results, refusals and failures.
        const a: Attempt = { streamId, table, results, retry: [], failures: [], refused: new Map<string, number>() };
        await Promise.all([...[...plan.fast].map(([hostId, parts]) => this.writeHost(a, hostId, parts)), ...[...plan.overflow].map(([hostId, parts]) => this.appendToLog(a, hostId, parts))]);
        const { retry, failures } = a;
        if (failures.length > 0) throw this.partialFailure(results, failures);
        if (retry.length === 0 && heldBack.length === 0) break;
        if (retry.length > 0) refusals++;
        if (refusals >= MAX_ROUTE_ATTEMPTS || attempt >= 2 * MAX_ROUTE_ATTEMPTS) {
          throw new ShardcastError("unavailable", "routing kept changing while writing; retry the batch", this.storedDetails(results));
        }
        if (retry.length > 0) {
          this.deps.log.debug("fence rejected a write; refreshing route", { stream: streamName, events: retry.length });
          refused = a.refused;
          const fresh = await routing.refreshById(streamId, "fence");
          if (!fresh) throw new ShardcastError("not_found", `stream "${streamName}" was deleted`);
          entry = fresh;
        }
        pending = [...retry, ...heldBack];
      }
    } finally {
      block.release().catch((err: unknown) => this.deps.log.warn("sequence block release failed", { err }));
      this.deps.observer?.acked?.(streamId, events, results, performance.now() - started, entry);
    }
    const out = results as IngestedEvent[];
    let duplicates = 0;
    for (const r of out) if (r.duplicate) duplicates++;
    return { accepted: out.length - duplicates, duplicates, events: out };
  }

  private holdDeps(): HoldDeps {
    return { holds: this.deps.holds!, routing: this.deps.routing, clock: this.deps.clock ?? Date.now, observer: this.deps.observer };
  }

  /** The fast path of one host: one fenced statement for its shardlets' events, then their shadow writes. */
  private async writeHost(a: Attempt, hostId: string, parts: Map<string, Pending[]>): Promise<void> {
    const groups = [...parts];
    try {
      const res = await this.deps.hosts.fencedWriteBatch(hostId, {
        streamId: a.streamId,
        parts: groups.map(([shardletId, group]) => ({
          shardletId,
          epoch: a.table.byId(shardletId)!.epoch,
          events: group.map((p) => ({ ...p.event, seq: p.seq, keyHash: p.hash })),
        })),
      });
      // Parts of migrating shardlets, for their destination, once the source has stored them.
      const shadows = new Map<string, HostBatchWrite["parts"][number][]>();
      groups.forEach(([shardletId, group], i) => {
        const r = res[i]!;
        if (!r.ok) {
          a.retry.push(...group);
          a.refused.set(shardletId, a.table.byId(shardletId)!.epoch);
          this.deps.observer?.fenceRejected?.(shardletId, group.length);
          return;
        }
        const route = a.table.byId(shardletId)!;
        if (route.shadowHostId) {
          // Repeated ids were not stored by this write (their first copy is): not shadowed either.
          const skip = new Set(r.duplicates.map((d) => d.index));
          // Stored at the second the source stored them, so the mover's copy of them meets these rows.
          const part = r.part;
          const events = group.filter((_, j) => !skip.has(j)).map((p) => ({ ...p.event, seq: p.seq, keyHash: p.hash, ...(part !== undefined ? { part } : {}) }));
          let list = shadows.get(route.shadowHostId);
          if (!list) shadows.set(route.shadowHostId, (list = []));
          if (events.length > 0) list.push({ shardletId, epoch: route.epoch, events });
        }
        if (this.deps.observer) {
          let bytes = 0;
          for (const p of group) bytes += p.event.sizeBytes;
          this.deps.observer.written(shardletId, group.length, bytes);
        }
        for (const p of group) a.results[p.index] = { seq: p.seq, shardletId, duplicate: false };
        for (const d of r.duplicates) {
          const p = group[d.index];
          if (p) a.results[p.index] = { seq: d.seq, shardletId, duplicate: true };
        }
      });
      if (shadows.size > 0) await this.shadowWrite(a.streamId, shadows);
    } catch (err) {
      a.failures.push(err);
    }
  }

  /** A home host's overflow log: the events of its locked or changing shardlets, flagged around the append. */
  private async appendToLog(a: Attempt, hostId: string, parts: Map<string, { shardId: string; group: Pending[] }>): Promise<void> {
    const groups = [...parts];
    // Only events with ids can be re-sent as the same event: ranges without them need no flag.
    const routes = groups.flatMap(([id, { group }]) => (group.some((p) => p.event.id !== null) ? [a.table.byId(id)] : [])).filter((r) => r !== undefined);
    const flag = routes.length > 0 ? this.deps.flagOverflowPending : undefined;
    try {
      // Flagged before the append (an edge that dies between the two leaves its producer to
      // re-send, maybe on the fast path once the lock is let go) and again before the
      // acknowledgement (a drain may have cleared the flag in between).
      const write = {
        streamId: a.streamId,
        parts: groups.map(([shardletId, { shardId, group }]) => ({
          shardId,
          shardletId,
          events: group.map((p) => ({ ...p.event, seq: p.seq, keyHash: p.hash })),
        })),
      };
      const res = await appendOverflowOnce(
        this.deps.hosts,
        hostId,
        write,
        (shardletId) => {
          const route = a.table.byId(shardletId);
          return [route?.hostId, route?.shadowHostId, ...(route?.historyHostIds ?? NO_HOSTS)];
        },
        async () => flag?.(a.streamId, routes),
      );
      groups.forEach(([shardletId, { group }], i) => {
        for (const p of group) a.results[p.index] = { seq: p.seq, shardletId, duplicate: false };
        const dups = res[i]?.duplicates ?? [];
        for (const d of dups) {
          const p = group[d.index];
          if (p) a.results[p.index] = { seq: d.seq, shardletId, duplicate: true };
        }
        // Only what reached the overflow log: a repeated id stored nothing there.
        if (group.length > dups.length) this.deps.observer?.fellBack(shardletId, group.length - dups.length, a.streamId);
      });
      await flag?.(a.streamId, routes);
    } catch (err) {
      a.failures.push(err);
    }
  }

  /**
   * Writes migrating shardlets' events to their destinations, after their source committed them.
   * Never fails the batch: the source is authoritative and the mover's verification re-copies
   * whatever a refused or failed shadow write left out. Awaited, so an acknowledged event's shadow
   * write is over before its sequence block is released (the mover verifies below the watermark).
   */
  private async shadowWrite(streamId: string, byHost: Map<string, HostBatchWrite["parts"][number][]>): Promise<void> {
    await Promise.all(
      [...byHost].map(async ([hostId, parts]) => {
        if (parts.length === 0) return;
        try {
          const res = await this.deps.hosts.shadowWriteBatch(hostId, { streamId, parts });
          parts.forEach((part, i) => {
            const ok = res[i]?.ok ?? false;
            if (!ok) this.deps.log.debug("shadow write refused by the destination's fence", { shardletId: part.shardletId, hostId });
            this.deps.observer?.shadowed?.(part.shardletId, hostId, part.events.length, ok ? "written" : "refused");
          });
        } catch (err) {
          this.deps.log.warn("shadow write failed; the migration's verification will re-copy", { hostId, err });
          for (const part of parts) this.deps.observer?.shadowed?.(part.shardletId, hostId, part.events.length, "failed");
        }
      }),
    );
  }

  private storedDetails(results: Array<IngestedEvent | undefined>) {
    const stored: number[] = [];
    results.forEach((r, i) => r && stored.push(i));
    return { storedIndexes: stored };
  }

  private partialFailure(results: Array<IngestedEvent | undefined>, failures: unknown[]): ShardcastError {
    const first = failures[0];
    this.deps.log.error("host write failed", { err: first });
    const details = this.storedDetails(results);
    const what = details.storedIndexes.length > 0 ? `${details.storedIndexes.length} events were stored; ` : "nothing was stored; ";
    return new ShardcastError(
      "unavailable",
      `a storage host failed: ${what}retry the batch (events with ids are stored once)`,
      details,
      { cause: first },
    );
  }
}

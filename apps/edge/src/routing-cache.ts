import { patchRoutes, RoutingTable, type RoutePatch, type RoutePatchRefusal, type ShardRange, type ShardletRoute } from "@shardcast/core";
import type { Logger } from "@shardcast/runtime";

export interface StreamMeta {
  id: string;
  name: string;
  keyField: string;
}

/** Where routes come from (the control database in production, injected for tests). */
export interface RouteSource {
  streamByName(name: string): Promise<StreamMeta | null>;
  routes(streamId: string): Promise<ShardletRoute[]>;
  shards(streamId: string): Promise<ShardRange[]>;
}

export interface RouteEntry {
  meta: StreamMeta;
  table: RoutingTable;
  /** Shards by id: the overflow log of a shard lives on its home host. */
  shards: Map<string, ShardRange>;
}

type Entry = RouteEntry;

/** Why routes were reloaded: a routing-change message, a fence rejection, the periodic refresh, a Redis reconnect. */
export type ReloadReason = "pubsub" | "fence" | "periodic" | "reconnect";

const MISSING_TTL_MS = 2_000;
/** Retired ids remembered per stream to recognise a stale patch: far more than changes in flight at once. */
const GONE_PER_STREAM = 1_024;
const NONE_GONE: ReadonlySet<string> = new Set();

/** What became of a patch: installed, refused (the caller reads the routes instead), or for a stream not loaded here. */
export type PatchOutcome = "applied" | "unloaded" | RoutePatchRefusal;

/**
 * In-memory routing tables per stream. Loaded on first use, replaced on a routing-change
 * message, after a fence rejection, and by a periodic full refresh (the safety net for lost
 * pub/sub messages). Loads are single-flight so a burst of misses costs one query.
 */
export class RoutingCache {
  private readonly byName = new Map<string, Entry>();
  private readonly nameById = new Map<string, string>();
  private readonly missing = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<Entry | null>>();
  private readonly reloading = new Map<string, Promise<Entry | null>>();
  private readonly reloadAgain = new Map<string, Promise<Entry | null>>();
  /**
   * Every query for a stream's routes takes a ticket when it starts; a table is installed only if
   * no query that started later has installed one. A periodic full load that read the routes before
   * a change and answered after the change's reload would otherwise put the old routes back until
   * the next refresh (writes would be fenced and retried, but reads would go to the old host).
   */
  private nextTicket = 0;
  private readonly installedTicket = new Map<string, number>();
  /** Per stream, ids that patches took out of routing (insertion order: the oldest go first). */
  private readonly gone = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly source: RouteSource,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    /** Called after every full load of a stream (first use, periodic refresh), e.g. to refresh load figures. */
    private readonly onLoad?: (entry: RouteEntry) => void,
    /** Told about every reload that queries the routes again (for the metrics). */
    private readonly onReload?: (reason: ReloadReason) => void,
  ) {}

  /** The stream's routing entry, or null for an unknown stream. */
  async get(name: string): Promise<Entry | null> {
    const hit = this.byName.get(name);
    if (hit) return hit;
    const missedAt = this.missing.get(name);
    if (missedAt !== undefined && this.clock() - missedAt < MISSING_TTL_MS) return null;
    return this.load(name);
  }

  /**
   * Reloads a stream's routes by id (routing change or fence rejection): one query, since the
   * stream's name, key field and shards never change. A request that arrives while a reload is
   * running gets a fresh one after it: the running one may have read the routes before the change.
   * The reason defaults to a caller that found its route stale.
   */
  refreshById(streamId: string, reason: ReloadReason = "fence"): Promise<Entry | null> {
    const name = this.nameById.get(streamId);
    if (!name) return Promise.resolve(null);
    const running = this.reloading.get(streamId);
    if (running) {
      const again = this.reloadAgain.get(streamId) ?? running.then(() => this.reloadRoutes(streamId, name, reason));
      this.reloadAgain.set(streamId, again);
      return again;
    }
    return this.reloadRoutes(streamId, name, reason);
  }

  /**
   * Installs a change's routes sent with its announcement (see `patchRoutes`), at once and with no
   * query. It takes a ticket like a query that started now, so a reload that started before it
   * (and may have read the routes before the change) does not put the old routes back.
   */
  applyPatch(streamId: string, patch: RoutePatch): PatchOutcome {
    const name = this.nameById.get(streamId);
    const current = name === undefined ? undefined : this.byName.get(name);
    if (name === undefined || !current) return "unloaded";
    const table = patchRoutes(current.table, patch, this.gone.get(streamId) ?? NONE_GONE);
    if (typeof table === "string") return table;
    this.install(name, ++this.nextTicket);
    this.byName.set(name, { ...current, table });
    if (patch.retire.length > 0) {
      let gone = this.gone.get(streamId);
      if (!gone) this.gone.set(streamId, (gone = new Set()));
      for (const id of patch.retire) gone.add(id);
      for (const id of gone) {
        if (gone.size <= GONE_PER_STREAM) break;
        gone.delete(id);
      }
    }
    return "applied";
  }

  private reloadRoutes(streamId: string, name: string, reason: ReloadReason): Promise<Entry | null> {
    this.reloadAgain.delete(streamId);
    this.onReload?.(reason);
    const p = (async () => {
      try {
        const current = this.byName.get(name);
        if (!current) return this.load(name);
        const ticket = ++this.nextTicket;
        const table = RoutingTable.build(streamId, await this.source.routes(streamId));
        if (!this.install(name, ticket)) return this.byName.get(name) ?? null;
        const entry: Entry = { ...(this.byName.get(name) ?? current), table };
        this.byName.set(name, entry);
        return entry;
      } finally {
        this.reloading.delete(streamId);
      }
    })();
    this.reloading.set(streamId, p);
    return p;
  }

  /** Full load (first use and the periodic refresh): stream, routes, shards, then `onLoad`. */
  private load(name: string, force = false): Promise<Entry | null> {
    const key = force ? `!${name}` : name;
    const running = this.inflight.get(key);
    if (running) return running;
    const p = (async () => {
      try {
        const ticket = ++this.nextTicket;
        const meta = await this.source.streamByName(name);
        if (!meta) {
          if (this.outdated(name, ticket)) return this.byName.get(name) ?? null;
          // Unknown names keep no ticket: a client asking for random streams must not grow the map.
          this.installedTicket.delete(name);
          this.byName.delete(name);
          this.missing.set(name, this.clock());
          return null;
        }
        const [routes, shards] = await Promise.all([this.source.routes(meta.id), this.source.shards(meta.id)]);
        if (!this.install(name, ticket)) return this.byName.get(name) ?? null;
        const table = RoutingTable.build(meta.id, routes);
        const entry: Entry = { meta, table, shards: new Map(shards.map((s) => [s.id, s])) };
        this.byName.set(name, entry);
        this.nameById.set(meta.id, name);
        this.missing.delete(name);
        this.onLoad?.(entry);
        return entry;
      } finally {
        this.inflight.delete(key);
      }
    })();
    this.inflight.set(key, p);
    return p;
  }

  /** True when a query that started after the one holding this ticket has installed. */
  private outdated(name: string, ticket: number): boolean {
    return (this.installedTicket.get(name) ?? 0) > ticket;
  }

  /** Claims the stream's slot for a query with this ticket: false when a later query has installed. */
  private install(name: string, ticket: number): boolean {
    if (this.outdated(name, ticket)) return false;
    this.installedTicket.set(name, ticket);
    return true;
  }

  /** The streams loaded now. */
  entries(): Entry[] {
    return [...this.byName.values()];
  }

  /** Forgets unknown-stream results, e.g. after a stream was created. */
  forgetMissing(): void {
    this.missing.clear();
  }

  async refreshAll(reason: ReloadReason): Promise<void> {
    this.missing.clear();
    await Promise.all([...this.byName.keys()].map((name) => {
      this.onReload?.(reason);
      return this.load(name, true).catch((err: unknown) => {
        this.log.warn("routing refresh failed", { stream: name, err });
        return null;
      });
    }));
  }

  startPeriodicRefresh(everyMs: number): void {
    this.stopPeriodicRefresh();
    this.timer = setInterval(() => void this.refreshAll("periodic"), everyMs);
    this.timer.unref();
  }

  stopPeriodicRefresh(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

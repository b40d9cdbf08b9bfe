import { ShardcastError } from "@shardcast/core";
import type { IngestObserver } from "./ingest-observer.ts";
import type { RouteEntry, RoutingCache } from "./routing-cache.ts";

/** Op-locks that asked the edges to hold their shardlets' writes back for a moment (the edge's LockView). */
export interface WriteHolds {
  /** Cheap: false almost always, and then the write path looks no closer. */
  anyHeld(): boolean;
  /** Shardlets whose writes may be held now. */
  heldShardlets(): Iterable<string>;
  heldUntil(shardletId: string): number | undefined;
  /** Resolves when a lock is taken or released or new routes are installed, or after `ms`. */
  changed(ms: number): Promise<void>;
}

/** What waiting for held locks needs from the write path. */
export interface HoldDeps {
  holds: WriteHolds;
  routing: Pick<RoutingCache, "get">;
  clock: () => number;
  observer?: Pick<IngestObserver, "held">;
}

/**
 * Waits while an event of the batch routes to a shardlet whose op-lock asked edges to hold its
 * writes (a hand-off, split or merge, whose lock window is a few statements): at the lock's release
 * the edge has the new routes (see LockView.releaseAfter), and the events go to the children's fast path,
 * stored once, with no overflow append, flag or drain. When the hold runs out first they take
 * the overflow log as any locked shardlet's do. It runs before the batch takes its sequence
 * numbers, so a held batch keeps no reader waiting on its positions, and again before each
 * attempt (a lock seen while the batch took its numbers, or a fence that refused it first): those
 * wait with their numbers taken.
 */
export async function waitForHolds(deps: HoldDeps, streamName: string, entry: RouteEntry, hashesOf: () => readonly number[]): Promise<RouteEntry> {
  const { holds, clock } = deps;
  let hashes: readonly number[] | null = null;
  // The first hold met bounds the whole wait: a lock taken again meanwhile does not extend it.
  let giveUpAt: number | null = null;
  const started = performance.now();
  for (;;) {
    let until = 0;
    for (const id of holds.heldShardlets()) {
      const route = entry.table.byId(id);
      const held = route ? holds.heldUntil(id) : undefined;
      if (!route || held === undefined || held <= until) continue;
      hashes ??= hashesOf();
      if (hashes.some((h) => h >= route.lo && h < route.hi)) until = held;
    }
    if (until === 0) break;
    giveUpAt ??= until;
    const wait = Math.min(until, giveUpAt) - clock();
    if (wait <= 0) break;
    await holds.changed(wait);
    const fresh = await deps.routing.get(streamName);
    if (!fresh) throw new ShardcastError("not_found", `stream "${streamName}" was deleted`);
    entry = fresh;
  }
  if (giveUpAt !== null) deps.observer?.held?.(performance.now() - started, clock() < giveUpAt);
  return entry;
}

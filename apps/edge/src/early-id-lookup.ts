import { earlyIdLookups, type IncomingEvent, type RoutingTable } from "@shardcast/core";
import { idsStoredElsewhere, type OverflowHosts } from "./overflow-append.ts";

/** Ids looked up on other hosts before a batch took its sequence numbers, on the routes of `table`. */
export interface EarlyLookup {
  table: RoutingTable;
  /** id -> the hosts it was looked up on (joined). */
  hosts: Map<string, string>;
  /** null: the lookup failed, and the attempt looks the ids up itself. */
  found: Promise<Map<string, number> | null>;
}

/**
 * Starts a batch's first attempt's id lookups on other hosts (ranges with history or flagged
 * overflow-pending: see `idsStoredElsewhere`), so that they run beside its request for sequence
 * numbers rather than after it: one round trip fewer for such a batch. Null when the routes have
 * no such range (the common case, at the cost of one boolean read) or the batch no such id.
 */
export function startEarlyLookup(
  hosts: OverflowHosts,
  streamId: string,
  entry: { table: RoutingTable; shards: ReadonlyMap<string, { homeHostId: string }> },
  events: readonly IncomingEvent[],
  hashesOf: () => readonly number[],
  isLocked: (shardletId: string) => boolean,
): EarlyLookup | null {
  if (!entry.table.idsElsewhere) return null;
  const hashed = hashesOf();
  const items = earlyIdLookups(
    events.map((event, i) => ({ event, hash: hashed[i]! })),
    { table: entry.table, shards: entry.shards, isLocked },
  );
  if (items.length === 0) return null;
  // Its failure is the attempt's to meet (it looks the ids up again), not an unhandled rejection.
  const found = idsStoredElsewhere(hosts, streamId, items).catch(() => null);
  return { table: entry.table, hosts: new Map(items.map((x) => [x.id, x.hostIds.join(" ")])), found };
}

/**
 * Where the first attempt's flagged ids are stored already, and whether the early lookup answered.
 * It answers only when it was made on the attempt's own routing table (`table`: no route changed
 * since) and covered every id on the same hosts; else they are looked up now. Its answer cannot hold
 * the batch's own positions (it ran before they were taken), which is what a first attempt needs.
 */
export async function storedElsewhere(
  hosts: OverflowHosts,
  streamId: string,
  flagged: ReadonlyArray<{ id: string; hostIds: readonly string[] }>,
  early: { lookup: EarlyLookup | null; table: RoutingTable },
): Promise<{ stored: Map<string, number>; early: boolean }> {
  const { lookup, table } = early;
  if (lookup?.table === table && flagged.every((f) => lookup.hosts.get(f.id) === f.hostIds.join(" "))) {
    const found = await lookup.found;
    if (found) return { stored: found, early: true };
  }
  return { stored: await idsStoredElsewhere(hosts, streamId, flagged), early: false };
}

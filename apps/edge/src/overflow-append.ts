import type { OverflowAppendResult, OverflowWrite } from "@shardcast/db/host";

/** What the overflow path needs from the storage hosts. */
export interface OverflowHosts {
  /** Appends to shard overflow logs on a shard home host; an id already in the log is not stored again. */
  appendOverflow(hostId: string, write: OverflowWrite): Promise<OverflowAppendResult[]>;
  /** Where each of `ids` is stored in the stream on a host (its events or its overflow logs). */
  storedEventIds(hostId: string, streamId: string, ids: readonly string[]): Promise<Map<string, number>>;
}

/**
 * Appends a home host's overflow parts, keeping the stream's idempotency: an event whose id the
 * stream already stored (on the host of its shardlet, on that shardlet's shadow host during a
 * migration, or in the overflow log) is answered with the stored position and not appended. The
 * fast path gets this from the events table's unique index; without it a batch resent while its
 * shardlet is locked would be stored a second time, at a new position readers see until the drain
 * deletes that copy as a duplicate. `hostsOf` gives the hosts holding a shardlet's events.
 *
 * What is left: the lookup on the shardlets' hosts and the append are not one transaction, so a
 * fast-path write of the same id by an edge that does not yet see the lock, racing this append
 * before the fence is raised, can still store the id twice (the drain then keeps the first copy).
 * Repeats within the overflow log itself, in one batch or in concurrent appends, are settled by
 * its unique index on the home host.
 *
 * `before` (the overflow-pending flag's write) must be done before anything is appended; it runs
 * while the ids are looked up, since the two do not depend on each other.
 */
export async function appendOverflowOnce(
  hosts: OverflowHosts,
  homeHostId: string,
  write: OverflowWrite,
  hostsOf: (shardletId: string) => ReadonlyArray<string | null | undefined>,
  before: () => Promise<void> = () => Promise.resolve(),
): Promise<OverflowAppendResult[]> {
  const idsByHost = new Map<string, Set<string>>();
  for (const part of write.parts) {
    for (const host of hostsOf(part.shardletId)) {
      if (!host) continue;
      for (const e of part.events) {
        if (e.id === null) continue;
        let ids = idsByHost.get(host);
        if (!ids) idsByHost.set(host, (ids = new Set<string>()));
        ids.add(e.id);
      }
    }
  }
  const ready = before();
  if (idsByHost.size === 0) {
    await ready;
    return hosts.appendOverflow(homeHostId, write);
  }
  const stored = new Map<string, number>();
  // Nothing is appended unless both succeeded.
  const [found] = await Promise.all([Promise.all([...idsByHost].map(([host, ids]) => hosts.storedEventIds(host, write.streamId, [...ids]))), ready]);
  for (const map of found) {
    for (const [id, seq] of map) stored.set(id, Math.min(seq, stored.get(id) ?? seq));
  }
  const results: OverflowAppendResult[] = write.parts.map(() => ({ duplicates: [] }));
  // Indexes (in the original part) of the events still to append, per part.
  const kept: number[][] = write.parts.map((part, i) => {
    const keep: number[] = [];
    part.events.forEach((e, index) => {
      const seq = e.id === null ? undefined : stored.get(e.id);
      if (seq !== undefined && seq !== e.seq) results[i]!.duplicates.push({ index, seq });
      else keep.push(index);
    });
    return keep;
  });
  const parts = write.parts.map((part, i) => ({ ...part, events: kept[i]!.map((index) => part.events[index]!) })).filter((p) => p.events.length > 0);
  if (parts.length === 0) return results;
  const appended = await hosts.appendOverflow(homeHostId, { streamId: write.streamId, parts });
  let j = 0;
  write.parts.forEach((_, i) => {
    if (kept[i]!.length === 0) return;
    for (const d of appended[j++]!.duplicates) results[i]!.duplicates.push({ index: kept[i]![d.index]!, seq: d.seq });
  });
  return results;
}

/**
 * The fast path's side of the same idempotency where an id may be stored on a host other than the
 * shardlet's: while a range is flagged overflow-pending (events acknowledged through its shard's
 * overflow log are not drained into its host yet) on its shard's home host, and after a hand-off
 * on the hosts holding the range's history (its sealed predecessors, which take no writes, so
 * what they hold cannot change after this lookup). Answers the positions at which these ids are
 * stored there. (An id the log holds that the shardlet's host also stored, at another position,
 * is the race `appendOverflowOnce` describes: the answer is then the log's position, whose copy
 * the drain deletes.)
 */
export async function idsStoredElsewhere(hosts: OverflowHosts, streamId: string, items: ReadonlyArray<{ id: string; hostIds: readonly string[] }>): Promise<Map<string, number>> {
  const byHome = new Map<string, Set<string>>();
  for (const { id, hostIds } of items) {
    for (const home of hostIds) {
      let ids = byHome.get(home);
      if (!ids) byHome.set(home, (ids = new Set<string>()));
      ids.add(id);
    }
  }
  const stored = new Map<string, number>();
  const found = await Promise.all([...byHome].map(([home, ids]) => hosts.storedEventIds(home, streamId, [...ids])));
  for (const map of found) for (const [id, seq] of map) stored.set(id, Math.min(seq, stored.get(id) ?? seq));
  return stored;
}

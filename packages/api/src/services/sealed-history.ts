import { listHosts, listSealedShardlets, type ControlDb, type SealedShardlet } from "@shardcast/db";

/**
 * What hand-offs leave behind, as the console shows it: sealed shardlets keep their history,
 * read-only, on the host that wrote it until the stream's retention has passed since the seal.
 * These gather them per host or stream, and find, for a live shardlet, the hosts that still hold
 * history of its range (what readers read besides its own host).
 */

export interface HistoryTotals {
  /** Sealed shardlets counted. */
  shardlets: number;
  sizeBytes: number;
  eventCount: number;
  /** When the first and the last of it expire. */
  firstExpiresAt: Date;
  lastExpiresAt: Date;
}

/** Totals of a set of sealed shardlets; null when there is none. */
export function historyTotals(sealed: readonly SealedShardlet[]): HistoryTotals | null {
  if (sealed.length === 0) return null;
  let first = sealed[0]!.expiresAt;
  let last = first;
  let sizeBytes = 0;
  let eventCount = 0;
  for (const s of sealed) {
    if (s.expiresAt < first) first = s.expiresAt;
    if (s.expiresAt > last) last = s.expiresAt;
    sizeBytes += s.sizeBytes;
    eventCount += s.eventCount;
  }
  return { shardlets: sealed.length, sizeBytes, eventCount, firstExpiresAt: first, lastExpiresAt: last };
}

/** Sealed shardlets grouped by a key (their host or their stream). */
export function groupSealed(sealed: readonly SealedShardlet[], by: "hostId" | "streamId"): Map<string, SealedShardlet[]> {
  const out = new Map<string, SealedShardlet[]>();
  for (const s of sealed) {
    const list = out.get(s[by]);
    if (list) list.push(s);
    else out.set(s[by], [s]);
  }
  return out;
}

export interface HistoryElsewhere {
  hostId: string;
  shardlets: number;
  sizeBytes: number;
  eventCount: number;
  /** When the last of that host's history of the range expires. */
  expiresAt: Date;
}

/**
 * The hosts other than its own that hold sealed history overlapping a live shardlet's range (as
 * `loadRoutes` gives them to readers as `historyHostIds`), each with what it holds and until when;
 * ordered by host id. `sealedOfStream` is the stream's sealed shardlets.
 */
export function historyElsewhere(s: { hostId: string; lo: number; hi: number }, sealedOfStream: readonly SealedShardlet[]): HistoryElsewhere[] {
  const byHost = new Map<string, HistoryElsewhere>();
  for (const h of sealedOfStream) {
    if (h.hostId === s.hostId || !(h.lo < s.hi && s.lo < h.hi)) continue;
    const cur = byHost.get(h.hostId);
    if (!cur) {
      byHost.set(h.hostId, { hostId: h.hostId, shardlets: 1, sizeBytes: h.sizeBytes, eventCount: h.eventCount, expiresAt: h.expiresAt });
      continue;
    }
    cur.shardlets += 1;
    cur.sizeBytes += h.sizeBytes;
    cur.eventCount += h.eventCount;
    if (h.expiresAt > cur.expiresAt) cur.expiresAt = h.expiresAt;
  }
  return [...byHost.values()].sort((a, b) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0));
}

export interface StreamHistoryHost {
  hostId: string;
  hostName: string;
  shardlets: number;
  sizeBytes: number;
  eventCount: number;
  lastExpiresAt: Date;
}

export interface StreamHistory {
  totals: HistoryTotals | null;
  /** Per host holding some of it, by host name. */
  hosts: StreamHistoryHost[];
  /** Oldest seal first. */
  sealed: Array<SealedShardlet & { hostName: string }>;
}

/** A stream's sealed history: every sealed shardlet with its host's name, and the totals per host and overall. */
export async function streamHistory(db: ControlDb, streamId: string): Promise<StreamHistory> {
  const [sealed, hosts] = await Promise.all([listSealedShardlets(db, { streamId }), listHosts(db)]);
  const hostName = new Map(hosts.map((h) => [h.id, h.name]));
  const name = (id: string) => hostName.get(id) ?? id;
  const perHost = [...groupSealed(sealed, "hostId")].map(([hostId, list]) => {
    const t = historyTotals(list)!;
    return { hostId, hostName: name(hostId), shardlets: t.shardlets, sizeBytes: t.sizeBytes, eventCount: t.eventCount, lastExpiresAt: t.lastExpiresAt };
  });
  perHost.sort((a, b) => a.hostName.localeCompare(b.hostName));
  return { totals: historyTotals(sealed), hosts: perHost, sealed: sealed.map((s) => ({ ...s, hostName: name(s.hostId) })) };
}

import { ShardletProfile } from "../profile/shardlet-profile.ts";
import { addCounters, type ClientDelta, type HotKeyDelta, type ProfileDelta, type ShardletDelta, type TelemetryDeltas } from "./records.ts";
import { SEP } from "./redis-records.ts";

/**
 * The same deltas summed into buckets of `resolutionSec` (counters add, latency maxima take the
 * largest, the lowest positions read the lowest), in primary-key order so concurrent upserts lock rows in one order.
 */
export function foldDeltas(d: TelemetryDeltas, resolutionSec: number): TelemetryDeltas {
  const len = resolutionSec * 1000;
  const at = (ms: number) => Math.floor(ms / len) * len;
  const shardlets = new Map<string, ShardletDelta>();
  for (const s of d.shardlets) {
    const b = at(s.bucketStart);
    const id = `${b}${SEP}${s.shardletId}`;
    const cur = shardlets.get(id);
    if (cur) addCounters(cur, s);
    else shardlets.set(id, { ...s, bucketStart: b });
  }
  const hotKeys = new Map<string, HotKeyDelta>();
  for (const h of d.hotKeys) {
    const b = at(h.bucketStart);
    const id = `${b}${SEP}${h.streamId}${SEP}${h.key}`;
    const cur = hotKeys.get(id);
    if (cur) {
      cur.writes += h.writes;
      cur.reads += h.reads;
      cur.error += h.error;
    } else hotKeys.set(id, { ...h, bucketStart: b });
  }
  const clients = new Map<string, ClientDelta>();
  for (const c of d.clients) {
    const b = at(c.bucketStart);
    const id = [b, c.shardletId, c.client, c.clientGroup].join(SEP);
    const cur = clients.get(id);
    if (cur) cur.reads += c.reads;
    else clients.set(id, { ...c, bucketStart: b });
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    shardlets: [...shardlets.values()].sort((a, b) => a.bucketStart - b.bucketStart || cmp(a.shardletId, b.shardletId)),
    hotKeys: [...hotKeys.values()].sort((a, b) => a.bucketStart - b.bucketStart || cmp(a.streamId, b.streamId) || cmp(a.key, b.key)),
    clients: [...clients.values()].sort(
      (a, b) => a.bucketStart - b.bucketStart || cmp(a.shardletId, b.shardletId) || cmp(a.client, b.client) || cmp(a.clientGroup, b.clientGroup),
    ),
  };
}

/**
 * Profiles merged into buckets of `resolutionSec`, one per stream and shardlet (sorted, so
 * concurrent upserts lock rows in one order). Malformed parts of a profile decode as empty.
 */
export function foldProfiles(list: readonly ProfileDelta[], resolutionSec: number): ProfileDelta[] {
  const len = resolutionSec * 1000;
  const merged = new Map<string, { bucketStart: number; streamId: string; shardletId: string; p: ShardletProfile }>();
  for (const d of list) {
    const b = Math.floor(d.bucketStart / len) * len;
    const id = `${b}${SEP}${d.streamId}${SEP}${d.shardletId}`;
    const cur = merged.get(id);
    if (cur) cur.p.merge(ShardletProfile.fromData(d.profile));
    else merged.set(id, { bucketStart: b, streamId: d.streamId, shardletId: d.shardletId, p: ShardletProfile.fromData(d.profile) });
  }
  return [...merged.values()]
    .sort((a, b) => a.bucketStart - b.bucketStart || (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : a.shardletId < b.shardletId ? -1 : a.shardletId > b.shardletId ? 1 : 0))
    .map((m) => ({ bucketStart: m.bucketStart, streamId: m.streamId, shardletId: m.shardletId, profile: m.p.toData() }));
}

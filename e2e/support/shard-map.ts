import type { Page } from "@playwright/test";
import { keyHash } from "@shardcast/core/hash";
import { trpcQuery } from "./console.ts";

/** A shardlet as the console's shard map (`shardmap.byHost`) shows it. */
export interface MapShardlet {
  id: string;
  range: { lo: number; hi: number; loHex: string };
  state: string;
  eventCount: number;
}
interface MapHost {
  id: string;
  name: string;
  status: string;
  shardlets: MapShardlet[];
}

/** The stream's active shardlets with the host that holds each, in hash order. */
export async function liveLayout(page: Page, streamId: string): Promise<Array<MapShardlet & { hostId: string; hostName: string }>> {
  const map = await trpcQuery<{ hosts: MapHost[] }>(page, "shardmap.byHost", { streamId, includeRetired: false });
  return map.hosts
    .flatMap((h) => h.shardlets.filter((s) => s.state === "active").map((s) => ({ ...s, hostId: h.id, hostName: h.name })))
    .sort((a, b) => a.range.lo - b.range.lo);
}

/** Keys whose hash lies in one of the ranges (found by trying `<prefix>-0`, `<prefix>-1`, ... in order). */
export function keysIn(ranges: ReadonlyArray<{ lo: number; hi: number }>, count: number, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const key = `${prefix}-${i}`;
    const h = keyHash(key);
    if (ranges.some((r) => h >= r.lo && h < r.hi)) out.push(key);
  }
  return out;
}

import { ShardcastError, type LoadForecast, type LoadForecastQuery } from "@shardcast/core";
import { streamLoadForecast, type ControlDb } from "@shardcast/db";
import type { RoutingCache } from "./routing-cache.ts";

/** A stream's predicted load (by stream name), scoped on the routes the edge's reads use. */
export type ForecastReader = (stream: string, q: LoadForecastQuery) => Promise<LoadForecast>;

export function forecastReader(d: { db: ControlDb; routing: RoutingCache; clock?: () => number }): ForecastReader {
  const clock = d.clock ?? Date.now;
  return async (name, q) => {
    // The routing cache, as reads by key route: a key's forecast is its writes' shardlet's.
    const entry = await d.routing.get(name);
    if (!entry) throw new ShardcastError("not_found", `unknown stream "${name}"`);
    return streamLoadForecast(d.db, { ...q, stream: entry.meta, table: entry.table, nowMs: clock() });
  };
}

import type { Suite } from "../harness.ts";
import { archiveSuite } from "./archive.ts";
import { cacheSuite } from "./cache.ts";
import { capacitySuite } from "./capacity.ts";
import { cacheEdgeSuite } from "./cache-edge.ts";
import { cacheFieldsSuite } from "./cache-fields.ts";
import { consumersSuite } from "./consumers.ts";
import { forecastSuite } from "./forecast.ts";
import { ingestSuite } from "./ingest.ts";
import { lifecycleSuite } from "./lifecycle.ts";
import { migrationSuite } from "./migration.ts";
import { preallocSuite } from "./prealloc.ts";
import { replicaSuite } from "./replica.ts";
import { retentionSuite } from "./retention.ts";
import { routingSuite } from "./routing.ts";
import { routingLatencySuite } from "./routing-latency.ts";
import { simSuite } from "./sim.ts";

/**
 * Every benchmark suite. A suite module exports one `Suite` (see harness.ts); register it by
 * importing it here and adding it to this list.
 */
export const SUITES: readonly Suite[] = [routingSuite, ingestSuite, lifecycleSuite, migrationSuite, simSuite, forecastSuite, consumersSuite, cacheSuite, cacheFieldsSuite, cacheEdgeSuite, preallocSuite, archiveSuite, replicaSuite, routingLatencySuite, retentionSuite, capacitySuite];

export function findSuite(name: string): Suite | undefined {
  return SUITES.find((s) => s.name === name);
}

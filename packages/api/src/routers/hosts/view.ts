import { redactDsn } from "@shardcast/core";
import type { listHosts } from "@shardcast/db";
import type { HostView } from "../shared.ts";

type HostRow = Awaited<ReturnType<typeof listHosts>>[number];

/** Host as the console shows it. The DSN is redacted again here so no path can leak it. */
export function hostView(h: HostRow): HostView {
  return {
    id: h.id,
    name: h.name,
    dsn: redactDsn(h.dsn),
    status: h.status,
    capacityBytes: h.capacityBytes,
    capacityEventsPerSec: h.capacityEventsPerSec,
    capacityOverrideEventsPerSec: h.capacityOverrideEventsPerSec,
    measuredCapacityEventsPerSec: h.measuredCapacityEventsPerSec,
    measuredCapacityAt: h.measuredCapacityAt,
    measuredCapacityNote: h.measuredCapacityNote,
    effectiveCapacityEventsPerSec: h.effectiveCapacityEventsPerSec,
    capacitySource: h.capacitySource,
    sizeBytes: h.sizeBytes,
    eventCount: h.eventCount,
    lastSeenAt: h.lastSeenAt,
    lastError: h.lastError,
    createdAt: h.createdAt,
    retiredAt: h.retiredAt,
  };
}

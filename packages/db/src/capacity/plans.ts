import type { CapacityHostStatus, CapacityPlan, CapacitySettings } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { Prisma } from "../generated/prisma/client.ts";

/** A host as the capacity plan saw it (a provisioning one is an approved add_host not registered yet). */
export interface CapacityPlanHost {
  id: string;
  name: string;
  status: CapacityHostStatus;
  capacityEventsPerSec: number;
  sizeBytes: number;
  /** When the host was added (its registration), ms; null for a host still being provisioned. */
  addedAtMs: number | null;
}

/** The plan of one analyzer run as stored with it: core's plan and what it was made from. */
export interface StoredCapacityPlan extends CapacityPlan {
  /** Step of the timeline (the analyzer's bucket), ms. */
  stepMs: number;
  /** Cluster write rate observed when the plan was made (events/s). */
  observed: number;
  /** Why the forecast was not trusted (the plan then follows the observed load), or null. */
  untrusted: string | null;
  /** The capacity settings' mode when the plan was made. */
  mode: CapacitySettings["mode"];
  /** The forecast model that made the cluster forecast. */
  model: string;
  hosts: CapacityPlanHost[];
}

export interface LatestCapacityPlan {
  runId: string;
  /** When the run was made. */
  at: Date;
  bucketSec: number;
  modelVersionId: string | null;
  plan: StoredCapacityPlan;
}

export function toCapacityPlanJson(plan: StoredCapacityPlan): Prisma.InputJsonValue {
  // Non-finite numbers are not JSON; a forecast never holds them, but a stored plan must parse.
  return JSON.parse(JSON.stringify(plan, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v))) as Prisma.InputJsonValue;
}

function isStoredPlan(v: unknown): v is StoredCapacityPlan {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Array.isArray((v as { timeline?: unknown }).timeline) && Array.isArray((v as { hosts?: unknown }).hosts);
}

/** The capacity plan of the latest run that made one (runs over every stream), or null before the first. */
export async function getLatestCapacityPlan(db: ControlDb): Promise<LatestCapacityPlan | null> {
  const row = await db.analyzerRun.findFirst({
    where: { capacityPlan: { not: Prisma.AnyNull } },
    orderBy: [{ at: "desc" }, { id: "desc" }],
    select: { id: true, at: true, bucketSec: true, modelVersionId: true, capacityPlan: true },
  });
  if (!row || !isStoredPlan(row.capacityPlan)) return null;
  return { runId: row.id, at: row.at, bucketSec: row.bucketSec, modelVersionId: row.modelVersionId, plan: row.capacityPlan };
}

import { z } from "zod";
import { capacitySettingsSchema } from "@shardcast/core";
import { getLatestCapacityPlan, latestAnalyzerRun } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { capacitySettings } from "../../services/capacity-settings.ts";
import { capacityPlanSchema } from "./schemas.ts";

export const planOutput = z.object({
  /** The analyzer run that made the plan (runs over every stream plan capacity; runs of one stream do not). */
  run: z.object({ id: z.string(), at: z.date() }).nullable(),
  /** The latest analyzer run of any kind, so the console can say why there is no plan. */
  latestRunAt: z.date().nullable(),
  plan: capacityPlanSchema.nullable(),
  settings: capacitySettingsSchema,
});

/** The latest capacity plan: hosts over time against the cluster forecast, and the host to add or drain with why. */
export const plan = viewerProcedure.output(planOutput).query(async ({ ctx }) => {
  const [stored, latest, { settings }] = await Promise.all([getLatestCapacityPlan(ctx.db), latestAnalyzerRun(ctx.db), capacitySettings.get(ctx.db)]);
  if (!stored) return { run: null, latestRunAt: latest?.at ?? null, plan: null, settings };
  const p = stored.plan;
  const hostName = (id: string) => p.hosts.find((h) => h.id === id)?.name ?? id;
  return {
    run: { id: stored.runId, at: stored.at },
    latestRunAt: latest?.at ?? stored.at,
    plan: {
      stepMs: p.stepMs,
      observed: p.observed,
      untrusted: p.untrusted,
      mode: p.mode,
      model: p.model,
      hosts: p.hosts.map((h) => ({ id: h.id, name: h.name, status: h.status, capacityEventsPerSec: h.capacityEventsPerSec, sizeBytes: h.sizeBytes })),
      hostsNow: p.hostsNow,
      hostCapacity: p.hostCapacity,
      leadSec: p.leadSec,
      add: p.add,
      drain: p.drain ? { ...p.drain, hostName: hostName(p.drain.hostId) } : null,
      timeline: p.timeline,
      notes: p.notes,
    },
    settings,
  };
});

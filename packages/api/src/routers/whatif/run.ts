import { operatorProcedure } from "../../trpc.ts";
import { runWhatIf } from "../../services/whatif.ts";
import { whatIfFields } from "./fields.ts";
import { whatIfDraftInput, whatIfResultSchema } from "./schemas.ts";

/**
 * Runs the four policies on the last day of telemetry (or the shipped trace) with the stored
 * settings overridden by the draft. Nothing is stored: applying thresholds is the settings page's job.
 */
export const run = operatorProcedure
  .input(whatIfDraftInput)
  .output(whatIfResultSchema)
  .mutation(async ({ ctx, input }) => {
    const result = await runWhatIf(ctx.db, input, { cwd: process.cwd() });
    ctx.log.info("what-if run", { source: result.source.kind, buckets: result.source.buckets, wallMs: result.wallMs });
    const ratio = result.summary.bytes_moved_ratio_vs_reactive;
    return {
      source: result.source,
      fields: whatIfFields(result.settings),
      policies: result.policies,
      summary: { ...result.summary, bytes_moved_ratio_vs_reactive: Number.isFinite(ratio) ? ratio : null },
      chart: result.chart,
      hostsChart: result.hostsChart,
      hostHoursFloor: result.hostHoursFloor,
      incidents: result.incidents,
      measuredFrom: result.measuredFrom,
      wallMs: result.wallMs,
    };
  });

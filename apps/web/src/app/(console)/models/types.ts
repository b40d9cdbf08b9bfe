import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";

type Outputs = inferRouterOutputs<AppRouter>["models"];
export type ModelVersion = Outputs["list"]["versions"][number];
export type ModelDetail = Outputs["get"];
export type ModelPreview = NonNullable<ModelDetail["evaluation"]>;

export const KIND_LABEL: Record<ModelVersion["kind"], string> = {
  seasonal_naive: "Seasonal naive",
  weekly_naive: "Weekly naive",
  weekly_median: "Weekly median",
  holt_winters: "Holt-Winters",
  double_seasonal: "Double-seasonal Holt-Winters",
  ensemble: "Mean of models",
  selection: "Best model per series",
  lstm: "LSTM",
};

export function versionLabel(v: Pick<ModelVersion, "kind" | "version">): string {
  return `${KIND_LABEL[v.kind]} v${v.version}`;
}

/** MASE with three decimals; "—" while unknown. */
export function formatMase(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "—" : v.toFixed(3);
}

export function formatError(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return "—";
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(2);
}

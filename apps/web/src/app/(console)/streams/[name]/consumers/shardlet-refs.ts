import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { rangeLabel } from "../../../../../components/shardlet-range.tsx";
import { plural } from "../../../../../lib/format.ts";

type GroupView = inferRouterOutputs<AppRouter>["consumers"]["group"];
export type ShardletRef = GroupView["checkpoints"][number]["handedOnFrom"][number];
type Checkpoint = Pick<GroupView["checkpoints"][number], "trigger" | "reason" | "handedOnFrom">;

export const refLabel = (r: ShardletRef) => rangeLabel(r.range, r.id);

/**
 * Why a checkpoint was taken, with the shardlets a lineage hand-off continued named by their
 * ranges: the stored reason names them by id, which tells an operator nothing.
 */
export function checkpointReason(c: Checkpoint): string {
  if (c.trigger !== "lineage" || c.handedOnFrom.length === 0) return c.reason;
  return `handed on from ${c.handedOnFrom.map(refLabel).join(" + ")}`;
}

/** The shardlets an event moved, by range; `total` counts those the list leaves out. */
export function eventShardlets(refs: readonly ShardletRef[], total: number): string {
  if (refs.length === 0) return "";
  const more = total - refs.length;
  return `${refs.map(refLabel).join(", ")}${more > 0 ? ` and ${plural(more, "more", "more")}` : ""}`;
}

/** The ids behind a list of ranges, for its tooltip. */
export const refIds = (refs: readonly ShardletRef[]) => refs.map((r) => `shardlet ${r.id}`).join("\n");

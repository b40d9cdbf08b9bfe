import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";

export type PreallocOverview = inferRouterOutputs<AppRouter>["prealloc"]["overview"];
export type Preallocation = PreallocOverview["preallocations"][number];
export type PreallocState = Preallocation["state"];
export type PreallocDecisionView = NonNullable<PreallocOverview["latestRun"]>["decisions"][number];

/** A probability or share as a whole percentage, "—" while unknown. */
export function pctOrDash(x: number | null): string {
  return x === null ? "—" : `${Math.round(x * 100)}%`;
}

/** States as operators read them: "released" means the parts were never used (wasted). */
export const PREALLOC_STATE_LABEL: Record<PreallocState, string> = {
  preparing: "preparing",
  prepared: "open",
  hit: "hit",
  released: "wasted",
  failed: "failed",
};

export const PREALLOC_STATE_BADGE: Record<PreallocState, string> = {
  preparing: "badge-accent",
  prepared: "badge-accent",
  hit: "badge-ok",
  released: "badge-warn",
  failed: "badge-danger",
};

export function isOpenPrealloc(state: PreallocState): boolean {
  return state === "preparing" || state === "prepared";
}

/** The last characters of a shardlet id: enough to tell parts apart in a line of text. */
export function shortId(id: string): string {
  return id.length > 8 ? `…${id.slice(-8)}` : id;
}

const ACTION_LABEL: Record<string, string> = { split: "split", split_move: "split and move", move: "move", none: "nothing to prepare" };

/** The cost model's action in words (an action this console does not know yet shows as sent). */
export function preallocActionLabel(action: string): string {
  return ACTION_LABEL[action] ?? action;
}

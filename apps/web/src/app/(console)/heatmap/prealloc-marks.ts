import { formatAgo } from "../../../lib/format.ts";
import { isOpenPrealloc, pctOrDash, shortId, type Preallocation, type PreallocState } from "../../../lib/prealloc.ts";

/** A pre-allocation as one heatmap row shows it; `role` is what the row's shardlet was in it. */
export interface PreallocMark {
  id: string;
  state: PreallocState;
  role: "predicted" | "part" | "hot part";
  probability: number;
  cause: string | null;
  parts: readonly string[];
  hotPartId: string | null;
  startedAt: Date;
}

const OUTCOME: Record<PreallocState, string> = {
  preparing: "open: being prepared",
  prepared: "open: prepared, waiting for the surge",
  hit: "hit: the surge used the prepared part",
  released: "wasted: no surge came, the parts were merged back",
  failed: "failed: the preparation did not finish",
};

/**
 * Shardlet id -> the newest pre-allocation that touched it. Open ones always count; settled ones
 * only when they started within the map's window (`sinceMs`), so old outcomes do not clutter it.
 * The predicted shardlet is usually gone after its split, so its parts carry the mark too.
 */
export function preallocMarks(list: readonly Preallocation[], sinceMs: number): Map<string, PreallocMark> {
  const marks = new Map<string, PreallocMark>();
  // The list is newest first: the first mark a shardlet gets stays.
  for (const p of list) {
    if (!isOpenPrealloc(p.state) && p.startedAt.getTime() < sinceMs) continue;
    const mark = (role: PreallocMark["role"]): PreallocMark => ({
      id: p.id,
      state: p.state,
      role,
      probability: p.probability,
      cause: p.cause,
      parts: p.parts,
      hotPartId: p.hotPartId,
      startedAt: p.startedAt,
    });
    if (!marks.has(p.shardletId)) marks.set(p.shardletId, mark("predicted"));
    for (const part of p.parts) if (!marks.has(part)) marks.set(part, mark(part === p.hotPartId ? "hot part" : "part"));
  }
  return marks;
}

/** Everything a mark stands for, one line each: the prediction, what was prepared, the outcome. */
export function describeMark(m: PreallocMark): string {
  const prepared =
    m.parts.length > 0
      ? `Prepared: parts ${m.parts.map(shortId).join(", ")}${m.hotPartId ? `; ${shortId(m.hotPartId)} takes the surge` : ""}`
      : m.state === "preparing"
        ? "Prepared: not yet (split in progress)"
        : "Prepared: no parts";
  return [
    `Pre-allocation (${formatAgo(m.startedAt)}): surge predicted at ${pctOrDash(m.probability)}${m.cause ? ` after ${m.cause}` : ""}`,
    prepared,
    OUTCOME[m.state],
    `This shardlet: the ${m.role === "predicted" ? "one predicted to surge" : m.role}`,
  ].join("\n");
}

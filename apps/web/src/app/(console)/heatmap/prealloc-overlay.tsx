"use client";
import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { PREALLOC_STATE_BADGE, PREALLOC_STATE_LABEL, type PreallocState } from "../../../lib/prealloc.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { describeMark, preallocMarks, type PreallocMark } from "./prealloc-marks.ts";

/**
 * The pre-allocations to mark on the map, refreshed at the map's own interval. One query per
 * stream filter; `sinceMs` is the map's first column, or null while the map is loading.
 */
export function usePreallocMarks(streamId: string, sinceMs: number | null): { marks: ReadonlyMap<string, PreallocMark>; error: unknown } {
  const trpc = useTRPC();
  const q = useQuery(trpc.prealloc.overview.queryOptions({ limit: 50, ...(streamId ? { streamId } : {}) }, { refetchInterval: 5_000, placeholderData: (prev) => prev }));
  const list = q.data?.preallocations;
  const marks = useMemo(() => (list && sinceMs !== null ? preallocMarks(list, sinceMs) : new Map<string, PreallocMark>()), [list, sinceMs]);
  return { marks, error: q.error };
}

/** The badge in a row's header: state in a word, the rest on hover. */
export function PreallocMarker({ mark }: { mark: PreallocMark }) {
  const text = describeMark(mark);
  return (
    <span
      className={`badge ${PREALLOC_STATE_BADGE[mark.state]}`}
      style={{ fontSize: 10, padding: "0 4px", fontFamily: "var(--font-sans)" }}
      title={text}
      aria-label={text}
      role="img"
      data-testid="prealloc-mark"
      data-state={mark.state}
      data-role={mark.role}
      data-prealloc={mark.id}
    >
      pre-alloc {PREALLOC_STATE_LABEL[mark.state]}
      {mark.role === "hot part" ? " (hot)" : ""}
    </span>
  );
}

const LEGEND: ReadonlyArray<{ state: PreallocState; meaning: string }> = [
  { state: "prepared", meaning: "prepared ahead of a predicted surge, waiting for it" },
  { state: "hit", meaning: "the surge came and used it" },
  { state: "released", meaning: "no surge: merged back" },
  { state: "failed", meaning: "the preparation failed" },
];

/** The marks' legend entry beside the colour scale, with how many of the map's rows carry one. */
export function PreallocLegend({ marked }: { marked: number }) {
  return (
    <div className="toolbar" data-testid="prealloc-legend" aria-label="Pre-allocation marks" style={{ marginTop: 6 }}>
      <span className="muted">Pre-allocation:</span>
      {LEGEND.map((l) => (
        <span key={l.state} className={`badge ${PREALLOC_STATE_BADGE[l.state]}`} title={l.meaning}>
          {PREALLOC_STATE_LABEL[l.state]}
        </span>
      ))}
      <span className="muted" data-testid="prealloc-legend-count">
        {marked === 0 ? "none open or recent on these shardlets" : `${marked} shardlet${marked === 1 ? "" : "s"} marked; hover a mark for the prediction and the parts`}
      </span>
    </div>
  );
}

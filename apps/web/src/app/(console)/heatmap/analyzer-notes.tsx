"use client";
import { useQuery } from "@tanstack/react-query";
import { ErrorNote } from "../../../components/ui.tsx";
import { useTRPC } from "../../../lib/trpc.ts";

/**
 * What the last full analyzer run considered and did not propose, and why: shardlets planned on
 * their observed rate because their forecasts missed, overloads too near for a predicted split,
 * shardlets already held by a job, hot keys that cannot split.
 */
export function AnalyzerNotes({ streamId, select }: { streamId: string; select: (shardletId: string) => void }) {
  const trpc = useTRPC();
  const notes = useQuery(trpc.analyzer.notes.queryOptions({ limit: 100, ...(streamId ? { streamId } : {}) }, { refetchInterval: 10_000, placeholderData: (prev) => prev }));
  const list = notes.data?.notes ?? [];
  return (
    <details data-testid="analyzer-notes" style={{ marginTop: 12 }}>
      <summary>
        Why not: {list.length} note{list.length === 1 ? "" : "s"} from the last run
      </summary>
      <ErrorNote error={notes.error} />
      {list.length === 0 ? (
        <p className="empty">No notes: every forecast was trusted and acted on as far as the settings allow.</p>
      ) : (
        <ul style={{ margin: "8px 0 0", paddingLeft: 18 }}>
          {list.map((n) => (
            <li key={n.id} data-testid="analyzer-note" style={{ marginTop: 6 }}>
              {n.shardletId ? (
                <>
                  {n.streamName}{" "}
                  <button type="button" className="link mono" onClick={() => select(n.shardletId!)}>
                    {n.range ? `${n.range.loHex}–${n.range.lastHex}` : n.shardletId.slice(-8)}
                  </button>
                  :{" "}
                </>
              ) : null}
              {n.message}
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}

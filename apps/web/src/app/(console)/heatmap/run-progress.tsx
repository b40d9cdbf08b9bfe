"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc.ts";

/** A run an operator asked for, followed until it ends. */
export function RunProgress({ jobId, onDone }: { jobId: string; onDone: () => void }) {
  const trpc = useTRPC();
  const status = useQuery(
    trpc.analyzer.runStatus.queryOptions(
      { jobId },
      {
        refetchInterval: (q) => {
          const s = q.state.data?.state;
          return s === "completed" || s === "failed" ? false : 1_000;
        },
      },
    ),
  );
  const s = status.data;
  if (!s) return null;
  if (s.state === "completed" && s.skipped) {
    return (
      <div className="alert alert-info" role="status" data-testid="analyzer-run-skipped">
        Analyzer run skipped: {s.skipped}.{" "}
        <button type="button" className="link" onClick={onDone}>
          Dismiss
        </button>
      </div>
    );
  }
  if (s.state === "completed") {
    return (
      <div className="alert alert-ok" role="status" data-testid="analyzer-run-done">
        Analyzer run finished; the map shows its forecast.{" "}
        <button type="button" className="link" onClick={onDone}>
          Dismiss
        </button>
      </div>
    );
  }
  if (s.state === "failed") {
    return (
      <div className="alert alert-error" role="alert" data-testid="analyzer-run-failed">
        Analyzer run failed: {s.error}
      </div>
    );
  }
  return (
    <div className="alert alert-info" role="status" data-testid="analyzer-run-progress">
      Analyzer run {s.state === "waiting" ? "queued" : `${s.stage ?? "running"} (${Math.round(s.fraction * 100)}%)`}…
    </div>
  );
}

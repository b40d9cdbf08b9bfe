import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Comparison } from "../compare.ts";
import type { TraceReader } from "../workload/traces.ts";

/** The repository's data/traces, found from this file (packages/sim/src/cli). */
export const DEFAULT_TRACE_DIR = fileURLToPath(new URL("../../../../data/traces/", import.meta.url));

export function traceReader(dir: string | undefined): TraceReader {
  const base = dir ?? DEFAULT_TRACE_DIR;
  return (file) => readFileSync(join(base, file), "utf8");
}

/** The JSON written by --json: the summary, the workload's description and every policy's metrics. */
export function comparisonJson(c: Comparison, command: string): Record<string, unknown> {
  return {
    command,
    workload: { name: c.workload.name, description: c.workload.description, source: c.workload.source, buckets: c.workload.buckets, params: c.workload.params },
    hosts: c.layout.hosts.length,
    summary: c.summary,
    policies: Object.fromEntries(c.runs.map((r) => [r.policy, r.metrics])),
  };
}

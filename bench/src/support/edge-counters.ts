/** The edge's counters (`/metrics`), by series (`name{labels}`). */
export async function edgeCounters(edgeUrl: string): Promise<Map<string, number>> {
  const res = await fetch(`${edgeUrl}/metrics`);
  if (!res.ok) throw new Error(`edge /metrics answered ${res.status}`);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    const m = /^([A-Za-z_:][\w:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** The change of a counter (summed over the series whose labels contain `label`) between two scrapes. */
export function counterDelta(before: Map<string, number>, after: Map<string, number>, name: string, label = ""): number {
  let sum = 0;
  for (const [series, v] of after) {
    if ((series === name || series.startsWith(`${name}{`)) && series.includes(label)) sum += v - (before.get(series) ?? 0);
  }
  return sum;
}

/** Batches an op-lock (hand-off, split, merge) held back at the edge between two scrapes, and for how long, by how the hold ended. */
export function holdLine(before: Map<string, number>, after: Map<string, number>): string {
  const parts = ["released", "ran_out"].map((outcome) => {
    const label = `outcome="${outcome}"`;
    const n = counterDelta(before, after, "shardcast_edge_write_hold_seconds_count", label);
    const sec = counterDelta(before, after, "shardcast_edge_write_hold_seconds_sum", label);
    return `${n} ${outcome.replace("_", " ")}${n > 0 ? ` (mean ${((sec * 1000) / n).toFixed(0)} ms, ${sec.toFixed(1)} s in all)` : ""}`;
  });
  return `batches held for a lock: ${parts.join(", ")}`;
}

import { ShardcastError } from "../errors.ts";

/** A time series read from a trace file: timestamps (epoch ms, UTC) and values, oldest first. */
export interface Trace {
  name: string;
  times: number[];
  values: number[];
}

/**
 * Parses a two-column CSV trace (`<timestamp>,<value>` with a header line), as shipped in
 * data/traces. Timestamps like `2015-02-26 21:42:53` are read as UTC. Rows are sorted by time.
 */
export function parseTraceCsv(name: string, text: string): Trace {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length < 2) throw new ShardcastError("bad_request", `trace ${name}: no data rows`);
  const rows: Array<[number, number]> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const comma = line.indexOf(",");
    if (comma < 0) throw new ShardcastError("bad_request", `trace ${name}: line ${i + 1} has no comma`);
    const stamp = line.slice(0, comma).trim();
    const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(stamp) ? stamp : `${stamp.replace(" ", "T")}Z`);
    const v = Number(line.slice(comma + 1).trim());
    if (!Number.isFinite(t)) throw new ShardcastError("bad_request", `trace ${name}: line ${i + 1}: bad timestamp "${stamp}"`);
    if (!Number.isFinite(v)) throw new ShardcastError("bad_request", `trace ${name}: line ${i + 1}: bad value`);
    rows.push([t, v]);
  }
  rows.sort((a, b) => a[0] - b[0]);
  return { name, times: rows.map((r) => r[0]), values: rows.map((r) => r[1]) };
}

/**
 * Sums a trace into fixed buckets of `stepMs` starting at the first timestamp's bucket; buckets
 * with no rows are 0. Use `mode: "mean"` for rate series (values already per unit of time).
 */
export function resampleTrace(trace: Trace, stepMs: number, mode: "sum" | "mean" = "sum"): { startMs: number; stepMs: number; values: number[] } {
  if (!(stepMs > 0)) throw new ShardcastError("bad_request", "resampleTrace: stepMs must be positive");
  if (trace.times.length === 0) return { startMs: 0, stepMs, values: [] };
  const startMs = Math.floor(trace.times[0]! / stepMs) * stepMs;
  const last = trace.times[trace.times.length - 1]!;
  const n = Math.floor((last - startMs) / stepMs) + 1;
  const sums = new Array<number>(n).fill(0);
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < trace.times.length; i++) {
    const b = Math.floor((trace.times[i]! - startMs) / stepMs);
    sums[b]! += trace.values[i]!;
    counts[b]! += 1;
  }
  const values = mode === "sum" ? sums : sums.map((s, i) => (counts[i]! > 0 ? s / counts[i]! : 0));
  return { startMs, stepMs, values };
}

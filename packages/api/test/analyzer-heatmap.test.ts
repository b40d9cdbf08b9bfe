import { describe, expect, it } from "vitest";
import { createStream, listShardlets, replacePlannerNotes, type ShardletInfo } from "@shardcast/db";
import { useAnalyzerConsole, type Proposal } from "./analyzer-harness.ts";
import type { Harness } from "./harness.ts";

/**
 * What the console shows of the analyzer: the heatmap's actual and forecast cells, one shardlet's
 * forecast against its load, the open proposals and the last run's notes.
 */

interface Cells {
  metric: "writes" | "reads";
  bucketSec: number;
  boundaryMs: number;
  times: number[];
  kinds: string[];
  threshold: number;
  maxValue: number;
  run: { id: string; model: string } | null;
  rows: Array<{ shardletId: string; hostName: string; streamName: string; values: Array<number | null>; predictedPeak: number | null; proposal: string | null; untrusted: string | null }>;
  totalRows: number;
}
interface Detail {
  shardlet: { id: string; streamName: string };
  boundaryMs: number;
  points: Array<{ t: number; actual: number | null; forecast: number | null; pastForecast: number | null }>;
  proposals: Proposal[];
  ranking: { predictedPeak: number } | null;
}

describe("analyzer and heatmap console api", () => {
  let h: Harness;
  let viewer: string;
  let streamId: string;
  let shardlets: ShardletInfo[];
  let base: number;
  let runId: string;

  useAnalyzerConsole((c) => ({ h, viewer, streamId, shardlets, base, runId } = c));

  it("draws actual cells from telemetry and forecast cells from the latest run, split at its forecast start", async () => {
    const res = await h.call<Cells>("query", "heatmap.cells", { streamId, pastSteps: 30 }, viewer);
    expect(res.status).toBe(200);
    const m = res.data!;
    expect(m.bucketSec).toBe(10);
    expect(m.boundaryMs).toBe(base);
    expect(m.run?.id).toBe(runId);
    expect(m.run?.model).toBe("selection (default)");
    expect(m.times).toHaveLength(42);
    expect(m.kinds.filter((k) => k === "actual")).toHaveLength(30);
    expect(m.kinds.slice(30).every((k) => k === "forecast")).toBe(true);
    expect(m.times[30]).toBe(base);
    expect(m.rows).toHaveLength(4);
    expect(m.totalRows).toBe(4);
    for (const [i, s] of shardlets.entries()) {
      const row = m.rows.find((r) => r.shardletId === s.id)!;
      expect(row.streamName).toBe("heat");
      expect(row.values.slice(0, 30).every((v) => v === 10 * (i + 1))).toBe(true);
      expect(row.values.slice(30).every((v) => v === 100 * (i + 1))).toBe(true);
      expect(row.predictedPeak).toBe(100 * (i + 1));
    }
    expect(m.rows.find((r) => r.shardletId === shardlets[3]!.id)!.proposal).toBe("split");
    expect(m.maxValue).toBe(4500);

    // Zoom on one host: only its shardlets.
    const host = shardlets[0]!.hostId;
    const byHost = await h.call<Cells>("query", "heatmap.cells", { hostId: host }, viewer);
    expect(byHost.data!.rows.map((r) => r.shardletId).sort()).toEqual(shardlets.filter((s) => s.hostId === host).map((s) => s.id).sort());
    // The hottest rows when the map is cut.
    const cut = await h.call<Cells>("query", "heatmap.cells", { streamId, maxRows: 1 }, viewer);
    expect(cut.data!.rows.map((r) => r.shardletId)).toEqual([shardlets[3]!.id]);
    expect(cut.data!.totalRows).toBe(4);

    const bad = await h.call("query", "heatmap.cells", { pastSteps: 0 }, viewer);
    expect(bad.status).toBe(400);
    expect(bad.error?.message).toContain("show at least one past step");
    expect((await h.call("query", "heatmap.cells", {}, null)).status).toBe(401);
  });

  it("draws reads beside writes: read telemetry, the run's read forecasts, the replica threshold, and which forecasts are not trusted", async () => {
    const res = await h.call<Cells>("query", "heatmap.cells", { streamId, pastSteps: 30, metric: "reads" }, viewer);
    expect(res.status).toBe(200);
    const m = res.data!;
    expect(m.metric).toBe("reads");
    expect(m.threshold).toBe(200);
    const row = (i: number) => m.rows.find((r) => r.shardletId === shardlets[i]!.id)!;
    for (const i of [0, 1, 2, 3]) expect(row(i).values.slice(0, 30).every((v) => v === 5 * (i + 1))).toBe(true);
    expect(row(0).values.slice(30)).toEqual(new Array<number>(12).fill(60));
    expect(row(0).predictedPeak).toBe(60);
    expect(row(0).untrusted).toBeNull();
    expect(row(0).proposal).toBeNull();
    expect(row(1).values.slice(30)).toEqual(new Array<number>(12).fill(10));
    expect(row(1).untrusted).toMatch(/read forecasts missed/);
    // Not forecast: nothing is drawn right of the line.
    expect(row(2).values.slice(30).every((v) => v === null)).toBe(true);
    expect(row(2).predictedPeak).toBeNull();

    const detail = await h.call<Detail>("query", "heatmap.shardlet", { shardletId: shardlets[0]!.id, pastSteps: 30, metric: "reads" }, viewer);
    expect(detail.status).toBe(200);
    expect(detail.data!.ranking).toBeNull();
    expect(detail.data!.points.filter((p) => p.forecast !== null).map((p) => p.forecast)).toEqual(new Array<number>(12).fill(60));
    expect(detail.data!.points.filter((p) => p.t < base).every((p) => p.actual === 5)).toBe(true);

    const bad = await h.call("query", "heatmap.cells", { metric: "latency" }, viewer);
    expect(bad.status).toBe(400);
  });

  it("shows a shardlet's forecast against its actual load and what earlier runs forecast", async () => {
    const res = await h.call<Detail>("query", "heatmap.shardlet", { shardletId: shardlets[0]!.id, pastSteps: 30 }, viewer);
    expect(res.status).toBe(200);
    const d = res.data!;
    expect(d.shardlet.streamName).toBe("heat");
    expect(d.boundaryMs).toBe(base);
    const past = d.points.filter((p) => p.t < base);
    expect(past).toHaveLength(30);
    expect(past.every((p) => p.actual === 10 && p.forecast === null)).toBe(true);
    // The earlier run's forecast covers the last 10 past steps (made before each of them ended).
    expect(past.filter((p) => p.pastForecast === 7)).toHaveLength(10);
    const future = d.points.filter((p) => p.forecast !== null);
    expect(future).toHaveLength(12);
    expect(future.every((p) => p.forecast === 100 && p.t >= base)).toBe(true);
    expect(d.ranking?.predictedPeak).toBe(100);
    expect(d.proposals.map((p) => p.kind)).toEqual(["migrate"]);
    expect((await h.call("query", "heatmap.shardlet", { shardletId: "nope" }, viewer)).status).toBe(404);
  });

  it("lists open proposals most urgent first with names, to viewers", async () => {
    const res = await h.call<{ proposals: Proposal[]; latestRun: { id: string } | null }>("query", "analyzer.proposals", { status: "open" }, viewer);
    expect(res.status).toBe(200);
    const list = res.data!.proposals;
    expect(list.map((p) => p.kind)).toEqual(["add_host", "split", "migrate"]);
    expect(list[1]).toMatchObject({ streamName: "heat", urgencySec: 40, status: "open" });
    expect(list[1]!.range?.loHex).toMatch(/^0x[0-9a-f]{8}$/);
    expect(list[2]!.sourceHostName).toMatch(/^h[12]$/);
    expect(list[2]!.destHostName).toMatch(/^h[12]$/);
    expect(res.data!.latestRun?.id).toBe(runId);
  });

  it("shows the last run's notes with their shardlets' stream and range, filtered by stream", async () => {
    const other = await createStream(h.db, h.hosts, { name: "heat-other", shardCount: 1, shardletsPerShard: 1 });
    const [otherShardlet] = await listShardlets(h.db, { streamId: other.id });
    await replacePlannerNotes(h.db, "analyzer", [
      {
        streamId,
        shardletId: shardlets[2]!.id,
        message: "its forecast is not trusted (the last 3 actuals each missed the forecast): planned on its observed 30 events/s",
        details: { untrusted: "the last 3 actuals each missed the forecast" },
      },
      { streamId, shardletId: shardlets[1]!.id, message: "predicted to pass its split threshold, but a job already holds it" },
      { streamId: other.id, shardletId: otherShardlet!.id, message: "predicted to pass its split threshold, but a job already holds it" },
    ]);
    // The rebalancer's notes are its own page's.
    await replacePlannerNotes(h.db, "rebalancer", [{ streamId, message: "host h1 is within its share" }]);
    type Note = { streamName: string | null; shardletId: string | null; range: { loHex: string } | null; message: string };
    const all = await h.call<{ notes: Note[] }>("query", "analyzer.notes", {}, viewer);
    expect(all.status).toBe(200);
    expect(all.data!.notes.map((n) => [n.streamName, n.shardletId, n.message.slice(0, 20)])).toEqual([
      ["heat", shardlets[2]!.id, "its forecast is not "],
      ["heat", shardlets[1]!.id, "predicted to pass it"],
      ["heat-other", otherShardlet!.id, "predicted to pass it"],
    ]);
    expect(all.data!.notes[0]!.range?.loHex).toMatch(/^0x[0-9a-f]{8}$/);
    const one = await h.call<{ notes: Note[] }>("query", "analyzer.notes", { streamId }, viewer);
    expect(one.data!.notes.map((n) => n.shardletId)).toEqual([shardlets[2]!.id, shardlets[1]!.id]);
    // The heatmap marks the shardlet planned on its observed rate, and only that one.
    const cells = await h.call<{ rows: Array<{ shardletId: string; untrusted: string | null }> }>("query", "heatmap.cells", { streamId }, viewer);
    expect(cells.data!.rows.filter((r) => r.untrusted !== null).map((r) => [r.shardletId, r.untrusted])).toEqual([[shardlets[2]!.id, "the last 3 actuals each missed the forecast"]]);
    expect((await h.call("query", "analyzer.notes", { limit: 0 }, viewer)).status).toBe(400);
  });
});

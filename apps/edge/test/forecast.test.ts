import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ForecastErrorTracker, keyHash, SHARDLET_ERROR_TRACKER_OPTIONS, type LoadForecast, type ShardletRoute } from "@shardcast/core";
import { countAnalyzerRuns, createApiKey, createStream, recordAnalyzerRun, runForecasts, setApiKeyQuota } from "@shardcast/db";
import { get, startHarness, type Harness } from "./harness.ts";

/**
 * `GET /v1/streams/{stream}/forecast`: the latest analyzer run's forecast of a stream (the sum of
 * its shardlets'), of one shardlet and of a key's shardlet, with the model and recent error of each
 * series, behind the read routes' key checks and quota.
 */

const STEP_MS = 10_000;
const STEPS = 12;
const MODELS = ["weekly_median", "holt_winters", "observed_rate"];

let h: Harness;
let routes: readonly ShardletRoute[];
let runId: string;
let base: number;
/** Shardlet i (in hash order) is forecast at 100 x (i + 1) + k events/s at step k. */
const value = (i: number, k: number) => 100 * (i + 1) + k;

beforeAll(async () => {
  h = await startHarness({ stream: "forecasted" });
  routes = (await h.edge.routing.get(h.stream))!.table.all();
  base = Math.floor(Date.now() / STEP_MS) * STEP_MS;
  // The first shardlet's forecasts scored as the analyzer's tracker scores them: three steps
  // missed by 0.5x, 1.8x and 0x the naive one-step error.
  const tracker = new ForecastErrorTracker(SHARDLET_ERROR_TRACKER_OPTIONS);
  const first = routes[0]!.id;
  [10, 12, 10].forEach((v, step) => tracker.observe(first, step, v));
  tracker.recordForecast(first, 3, [10, 10, 10]);
  [11, 13, 10].forEach((v, i) => tracker.observe(first, 3 + i, v));
  const run = await recordAnalyzerRun(h.db, {
    at: new Date(base),
    horizonSec: (STEPS * STEP_MS) / 1000,
    bucketSec: STEP_MS / 1000,
    modelVersionId: null,
    ranking: [],
    forecastStartMs: base,
    forecasts: routes.map((s, i) => ({ shardletId: s.id, streamId: h.streamId, values: Array.from({ length: STEPS }, (_, k) => value(i, k)), model: MODELS[i % MODELS.length]! })),
    shardletTracker: tracker.toJSON(),
    // Reads: only the first shardlet is read.
    readForecasts: [{ shardletId: routes[0]!.id, streamId: h.streamId, values: new Array<number>(STEPS).fill(7), model: "ensemble" }],
  });
  runId = run.id;
});
afterAll(() => h?.close());

const forecast = async (query = "", token: string | null = h.token, stream = h.stream) => {
  const res = await get(h, `/v1/streams/${stream}/forecast${query}`, token);
  return { status: res.status, body: res.body as unknown as LoadForecast & { error?: { code: string; message: string; details?: Record<string, unknown> } } };
};

describe("the forecast route", () => {
  it("answers the stream's forecast as the sum of its shardlets', with each series' model and error", async () => {
    const { status, body } = await forecast();
    expect(status).toBe(200);
    expect(body).toMatchObject({ stream: h.stream, scope: { kind: "stream" }, status: "ok", reason: null, bucketSec: 10, horizonSec: 120, readsReason: null });
    expect(body.reads.points).toEqual(Array.from({ length: STEPS }, (_, k) => ({ t: base + k * STEP_MS, readsPerSec: 7 })));
    expect(body.reads.series.map((s) => [s.forecast, s.model])).toEqual(routes.map((_s, i) => (i === 0 ? [true, "ensemble"] : [false, null])));
    expect(body.run).toEqual({ id: runId, at: base, model: "selection (default)", forecastStart: base, horizonSec: 120 });
    expect(body.points).toHaveLength(STEPS);
    for (const [k, p] of body.points.entries()) {
      expect(p.t).toBe(base + k * STEP_MS);
      expect(p.writesPerSec).toBe(routes.reduce((sum, _s, i) => sum + value(i, k), 0));
    }
    expect(body.series.map((s) => [s.shardletId, s.range, s.forecast, s.model])).toEqual(routes.map((s, i) => [s.id, { lo: s.lo, hi: s.hi }, true, MODELS[i % MODELS.length]]));
    expect(body.series[0]!.error).toMatchObject({ steps: 3, trusted: true, untrustedReason: null });
    expect(body.series[0]!.error!.mase).toBeCloseTo((0.5 + 1.8 + 0) / 3, 3);
    // Shardlets the tracker has not scored have no error figure.
    expect(body.series.slice(1).every((s) => s.error === null)).toBe(true);

    // The same sum, shardlet by shardlet.
    const each = await Promise.all(routes.map((s) => forecast(`?shardlet=${s.id}`)));
    for (const [k, p] of body.points.entries()) expect(p.writesPerSec).toBe(each.reduce((sum, r) => sum + r.body.points[k]!.writesPerSec, 0));
  });

  it("answers one shardlet, and the shardlet a key routes to, with its hash range", async () => {
    const third = routes[2]!;
    const one = await forecast(`?shardlet=${third.id}`);
    expect(one.status).toBe(200);
    expect(one.body.scope).toEqual({ kind: "shardlet", shardletId: third.id, range: { lo: third.lo, hi: third.hi }, key: null });
    expect(one.body.points.map((p) => p.writesPerSec)).toEqual(Array.from({ length: STEPS }, (_, k) => value(2, k)));
    expect(one.body.series).toEqual([{ shardletId: third.id, range: { lo: third.lo, hi: third.hi }, forecast: true, model: "observed_rate", error: null }]);

    const key = "user-42";
    const owner = routes.findIndex((s) => s.lo <= keyHash(key) && keyHash(key) < s.hi);
    const byKey = await forecast(`?key=${encodeURIComponent(key)}`);
    expect(byKey.status).toBe(200);
    expect(byKey.body.scope).toEqual({ kind: "shardlet", shardletId: routes[owner]!.id, range: { lo: routes[owner]!.lo, hi: routes[owner]!.hi }, key });
    expect(byKey.body.points[0]!.writesPerSec).toBe(value(owner, 0));
  });

  it("cuts the points to the horizon", async () => {
    const cut = await forecast("?horizon=30");
    expect(cut.body.horizonSec).toBe(30);
    expect(cut.body.points.map((p) => p.t)).toEqual([base, base + STEP_MS, base + 2 * STEP_MS]);
    expect((await forecast(`?shardlet=${routes[0]!.id}&horizon=25`)).body.points.map((p) => p.writesPerSec)).toEqual([value(0, 0), value(0, 1), value(0, 2)]);
    expect((await forecast("?horizon=120")).body.points).toHaveLength(STEPS);
  });

  it("refuses bad parameters with 400 and an unknown stream or shardlet with 404, storing nothing", async () => {
    const runs = await countAnalyzerRuns(h.db);
    const points = (await runForecasts(h.db, runId)).size;
    const past = await forecast("?horizon=121");
    expect(past.status).toBe(400);
    expect(past.body.error).toEqual({ code: "bad_request", message: "horizon must be at most 120 s: the latest analyzer run forecast 120 s ahead", details: { maxHorizonSec: 120 } });
    for (const query of ["?horizon=0", "?horizon=1e3", "?horizon=abc", "?horizon=604801", `?shardlet=${routes[0]!.id}&key=k`, "?key=a&key=b", `?key=${"k".repeat(5000)}`, "?shardlet=not%20an%20id", "?key=%00"]) {
      const res = await forecast(query);
      expect(res.status, query).toBe(400);
      expect(res.body.error?.code, query).toBe("bad_request");
    }
    expect((await forecast(`?shardlet=${routes[0]!.id}&key=k`)).body.error?.message).toBe("query parameters shardlet and key exclude each other: give one, or neither for the whole stream");

    const unknownShardlet = await forecast("?shardlet=no-such-shardlet");
    expect(unknownShardlet.status).toBe(404);
    expect(unknownShardlet.body.error?.code).toBe("not_found");
    const reader = await createApiKey(h.db, { name: "any-stream-reader", streams: ["*"], canProduce: false, canConsume: true, createdById: null });
    const unknownStream = await forecast("", reader.token, "no-such-stream");
    expect(unknownStream.status).toBe(404);
    expect(unknownStream.body.error?.message).toBe('unknown stream "no-such-stream"');

    expect(await countAnalyzerRuns(h.db)).toBe(runs);
    expect((await runForecasts(h.db, runId)).size).toBe(points);
  });

  it("needs a key that may consume the stream", async () => {
    expect((await forecast("", null)).status).toBe(401);
    expect((await forecast("", "sc_nothing_here")).status).toBe(401);
    const other = await createApiKey(h.db, { name: "other-stream", streams: ["elsewhere"], canProduce: true, canConsume: true, createdById: null });
    const elsewhere = await forecast("", other.token);
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error?.message).toMatch(/not scoped to stream "forecasted"/);
    const producer = await createApiKey(h.db, { name: "producer-only", streams: [h.stream], canProduce: true, canConsume: false, createdById: null });
    const produceOnly = await forecast("", producer.token);
    expect(produceOnly.status).toBe(403);
    expect(produceOnly.body.error?.message).toMatch(/may not read events/);
  });

  it("counts against the key's read quota as the read routes do", async () => {
    const key = await createApiKey(h.db, { name: "slow-forecast-reader", streams: [h.stream], canProduce: false, canConsume: true, createdById: null });
    await setApiKeyQuota(h.db, key.id, { produceEventsPerSec: null, produceBytesPerSec: null, readEventsPerSec: 2, readBytesPerSec: null });
    // Ten at once: one after the other, a loaded machine can answer each slower than the quota refills.
    const statuses = (await Promise.all(Array.from({ length: 10 }, () => forecast("?horizon=10", key.token)))).map((r) => r.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
  });

  it("answers a stream no analyzer run has forecast with no points and says why", async () => {
    await createStream(h.db, h.hosts, { name: "unforecast", shardCount: 1, shardletsPerShard: 2 });
    const reader = await createApiKey(h.db, { name: "new-stream-reader", streams: ["unforecast"], canProduce: false, canConsume: true, createdById: null });
    const fresh = await forecast("?horizon=3600", reader.token, "unforecast");
    expect(fresh.status).toBe(200);
    expect(fresh.body).toMatchObject({ stream: "unforecast", status: "no_run", run: null, bucketSec: null, horizonSec: 3600, points: [], reads: { points: [] } });
    expect(fresh.body.reason).toMatch(/^no analyzer run has forecast this stream yet/);
    expect(fresh.body.series.map((s) => s.forecast)).toEqual([false, false]);
  });

  it("is listed in /openapi.json with its query and answer", async () => {
    const res = await fetch(`${h.url}/openapi.json`);
    const doc = (await res.json()) as { paths: Record<string, Record<string, { operationId: string; parameters?: Array<{ name: string; in: string }>; responses: Record<string, unknown> }>> };
    const op = doc.paths["/v1/streams/{stream}/forecast"]?.get;
    expect(op?.operationId).toBe("readForecast");
    expect(op?.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual(["path:stream", "query:horizon", "query:key", "query:shardlet"]);
    expect(Object.keys(op?.responses ?? {}).sort()).toEqual(["200", "400", "401", "403", "404", "429", "500", "503"]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boundedLabel, Counter, createMetricsRegistry, startOpsServer, type OpsServer } from "../src/metrics.ts";
import { rawRequestStatus } from "../src/testing/raw-request.ts";

const TOKEN = "metrics-token-0123456789";
let server: OpsServer;
let ready = true;
let draining = false;
let url: string;

beforeAll(async () => {
  const registry = createMetricsRegistry();
  new Counter({ name: "test_things_total", help: "things", registers: [registry] }).inc(3);
  server = await startOpsServer(0, "127.0.0.1", {
    registry,
    ready: () => (ready ? Promise.resolve() : Promise.reject(new Error("redis down"))),
    draining: () => draining,
    metricsToken: TOKEN,
    extraMetrics: () => Promise.resolve("# TYPE extra_gauge gauge\nextra_gauge 7"),
  });
  url = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server?.close());

describe("operations endpoints", () => {
  it("answers a request target that is no URL path with a 400, and keeps serving", async () => {
    expect(await rawRequestStatus(server.port, "GET //[ HTTP/1.1\r\nhost: ops\r\nconnection: close\r\n\r\n")).toBe(400);
    expect((await fetch(`${url}/livez`)).status).toBe(200);
  });

  it("requires the bearer token for /metrics when one is set", async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^test_things_total 3$/m);
    expect(text).toMatch(/^extra_gauge 7$/m);
    expect(text).toContain("process_resident_memory_bytes");
  });

  it("keeps /livez and /readyz open; readiness fails on a dependency or while draining", async () => {
    expect((await fetch(`${url}/livez`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    ready = false;
    expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ ok: false, reason: "dependencies" });
    ready = true;
    draining = true;
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ok: false, reason: "draining" });
    expect((await fetch(`${url}/livez`)).status).toBe(200);
    draining = false;
    expect((await fetch(`${url}/nothing`)).status).toBe(404);
  });
});

describe("boundedLabel", () => {
  it("keeps the first values and folds the rest into _other", () => {
    const label = boundedLabel(2);
    expect([label("a"), label("b"), label("c"), label("a")]).toEqual(["a", "b", "_other", "a"]);
  });
});

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestControlDb } from "@shardcast/db/testing";

type Handler = (req: Request) => Promise<Response>;

const TOKEN = "console-metrics-token-0123";

/** The console's metrics route and the tRPC calls it counts, as Next.js runs them. */
describe("console /api/metrics", () => {
  let control: Awaited<ReturnType<typeof createTestControlDb>>;
  let trpc: Handler;
  let metrics: Handler;

  beforeAll(async () => {
    control = await createTestControlDb();
    vi.stubEnv("DATABASE_URL", control.url);
    vi.stubEnv("SHARDCAST_REDIS_PREFIX", `web-test-${randomUUID().slice(0, 8)}`);
    vi.stubEnv("SHARDCAST_METRICS_TOKEN", TOKEN);
    ({ GET: trpc } = (await import("../src/app/api/trpc/[trpc]/route.ts")) as { GET: Handler });
    ({ GET: metrics } = (await import("../src/app/api/metrics/route.ts")) as { GET: Handler });
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await control?.drop();
  });

  const scrape = (token: string | null) =>
    metrics(new Request("http://127.0.0.1:3000/api/metrics", { headers: token ? { authorization: `Bearer ${token}` } : {} }));

  it("needs the metrics token when one is set", async () => {
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape("not-the-token-at-all")).status).toBe(401);
  });

  it("counts tRPC calls by procedure and outcome, next to the process metrics", async () => {
    // Signed out: the session query answers, a viewer query is refused.
    // A browser always names the host it addressed; the console refuses a request that does not.
    const host = { host: "127.0.0.1:3000" };
    for (let i = 0; i < 2; i++) expect((await trpc(new Request("http://127.0.0.1:3000/api/trpc/auth.me", { headers: host }))).status).toBe(200);
    expect((await trpc(new Request("http://127.0.0.1:3000/api/trpc/streams.list", { headers: host }))).status).toBe(401);
    const res = await scrape(TOKEN);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^shardcast_web_trpc_calls_total\{procedure="auth\.me",type="query",outcome="ok"\} 2$/m);
    expect(text).toMatch(/^shardcast_web_trpc_calls_total\{procedure="streams\.list",type="query",outcome="UNAUTHORIZED"\} 1$/m);
    expect(text).toMatch(/^shardcast_web_trpc_call_seconds_count\{procedure="auth\.me",type="query"\} 2$/m);
    expect(text).toContain("process_cpu_user_seconds_total");
  });
});

import { randomUUID } from "node:crypto";
import { request as httpRequest, createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PEER_HEADER, PEER_TLS_HEADER } from "@shardcast/api/request-origin";
import { createUser } from "@shardcast/db";
import { createTestControlDb } from "@shardcast/db/testing";
import { stampPeerAddresses } from "../src/server/peer-stamp.ts";

type Handler = (req: Request) => Promise<Response>;

/** The console's tRPC route as Next.js runs it, against a real control database and Redis. */
describe("console tRPC route", () => {
  let control: Awaited<ReturnType<typeof createTestControlDb>>;
  let POST: Handler;
  const email = `route-${randomUUID().slice(0, 8)}@example.com`;

  beforeAll(async () => {
    control = await createTestControlDb();
    await createUser(control.db, { email, name: "Route", password: "route-password", role: "viewer" });
    vi.stubEnv("DATABASE_URL", control.url);
    vi.stubEnv("SHARDCAST_REDIS_PREFIX", `web-test-${randomUUID().slice(0, 8)}`);
    vi.stubEnv("SHARDCAST_TRUST_PROXY", "10.0.0.1");
    // The public name the proxy forwards: a console reached by a name must list it.
    vi.stubEnv("SHARDCAST_ALLOWED_HOSTS", "console.example.com");
    ({ POST } = (await import("../src/app/api/trpc/[trpc]/route.ts")) as { POST: Handler });
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await control?.drop();
  });

  const signIn = (headers: Record<string, string>) =>
    POST(
      new Request("http://10.0.0.2:3000/api/trpc/auth.signIn", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ json: { email, password: "route-password" } }),
      }),
    );

  const proxied = {
    host: "10.0.0.2:3000",
    "x-forwarded-host": "console.example.com",
    "x-forwarded-proto": "https",
    "x-forwarded-for": "203.0.113.9",
    origin: "https://console.example.com",
  };

  it("marks the session cookie Secure when a trusted proxy says HTTPS", async () => {
    const res = await signIn({ ...proxied, [PEER_HEADER]: "10.0.0.1" });
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toMatch(/; Secure$/);
  });

  it("believes no forwarded header from any other peer", async () => {
    const direct = await signIn({ host: "10.0.0.2:3000", origin: "http://10.0.0.2:3000", "x-forwarded-proto": "https", [PEER_HEADER]: "198.51.100.7" });
    expect(direct.status).toBe(200);
    expect(direct.headers.get("set-cookie")).not.toMatch(/Secure/);
    // The forwarded host is not believed either, so the proxy's public origin is foreign here.
    const spoofed = await signIn({ ...proxied, [PEER_HEADER]: "198.51.100.7" });
    expect(spoofed.status).toBe(403);
  });

  it("refuses a cross-origin or origin-less sign-in", async () => {
    const foreign = await signIn({ host: "10.0.0.2:3000", origin: "https://evil.example", [PEER_HEADER]: "198.51.100.7" });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get("set-cookie")).toBeNull();
    expect(await foreign.text()).toContain("Refused a cross-origin request from https://evil.example");
    const missing = await signIn({ host: "10.0.0.2:3000", [PEER_HEADER]: "198.51.100.7" });
    expect(missing.status).toBe(403);
  });

  it("answers a sign-in the limiter holds back with 429 and Retry-After", async () => {
    const wrong = () =>
      POST(
        new Request("http://10.0.0.2:3000/api/trpc/auth.signIn", {
          method: "POST",
          headers: { "content-type": "application/json", host: "10.0.0.2:3000", origin: "http://10.0.0.2:3000", [PEER_HEADER]: "198.51.100.50" },
          body: JSON.stringify({ json: { email, password: "not-the-password" } }),
        }),
      );
    let res = await wrong();
    // The first failures are free; the limiter then makes the pair wait.
    for (let i = 0; i < 10 && res.status !== 429; i++) res = await wrong();
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });
});

describe("peer stamp", () => {
  let server: Server;
  beforeAll(async () => {
    stampPeerAddresses();
    server = createServer((req, res) => res.end(JSON.stringify({ peer: req.headers[PEER_HEADER], tls: req.headers[PEER_TLS_HEADER] })));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("replaces a client's claim with the connection's address", async () => {
    const { port } = server.address() as AddressInfo;
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, headers: { [PEER_HEADER]: "10.0.0.1", [PEER_TLS_HEADER]: "1" } }, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve(text));
      });
      req.on("error", reject);
      req.end();
    });
    expect(JSON.parse(body)).toEqual({ peer: "127.0.0.1", tls: "0" });
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NextRequest } from "next/server";
import { PEER_HEADER } from "@shardcast/api/request-origin";
import type { proxy as proxyFn } from "../src/proxy.ts";

type Proxy = typeof proxyFn;

describe("security headers", () => {
  let proxy: Proxy;
  beforeAll(async () => {
    vi.stubEnv("DATABASE_URL", "postgres://unused@127.0.0.1:1/unused");
    vi.stubEnv("NODE_ENV", "production");
    vi.stubEnv("SHARDCAST_TRUST_PROXY", "10.0.0.1");
    ({ proxy } = await import("../src/proxy.ts"));
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  const get = (path: string, headers: Record<string, string>) => proxy(new NextRequest(`http://console.test${path}`, { headers }));

  it("sets CSP, framing, sniffing and referrer headers on every response", () => {
    for (const path of ["/", "/login", "/api/trpc/auth.me", "/_next/static/chunks/main.js"]) {
      const res = get(path, { [PEER_HEADER]: "192.0.2.1" });
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toContain("unsafe-eval");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("same-origin");
    }
  });

  it("sends HSTS only when a trusted proxy says the client used HTTPS", () => {
    const https = { "x-forwarded-proto": "https", host: "console.example.com" };
    expect(get("/", { ...https, [PEER_HEADER]: "10.0.0.1" }).headers.get("strict-transport-security")).toBe("max-age=31536000");
    // A client claiming HTTPS itself, or plain HTTP through the proxy: no HSTS.
    expect(get("/", { ...https, [PEER_HEADER]: "198.51.100.7" }).headers.get("strict-transport-security")).toBeNull();
    expect(get("/", { "x-forwarded-proto": "http", [PEER_HEADER]: "10.0.0.1" }).headers.get("strict-transport-security")).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import {
  checkHost,
  checkSameOrigin,
  parseAllowedHosts,
  parseAllowedOrigins,
  parseTrustProxy,
  requestFacts,
  resolveClient,
  PEER_HEADER,
  PEER_TLS_HEADER,
} from "../src/request-origin.ts";

function facts(peer: string | null, headers: Record<string, string>, peerTls = false) {
  return { peer, peerTls, headers: new Headers(headers) };
}

describe("trust-proxy setting", () => {
  it("parses addresses, CIDR ranges and loopback", () => {
    const trust = parseTrustProxy(" 10.0.0.0/8, 192.0.2.7 ,loopback, 2001:db8::/32");
    expect(trust.entries).toEqual(["10.0.0.0/8", "192.0.2.7", "loopback", "2001:db8::/32"]);
    for (const ok of ["10.1.2.3", "192.0.2.7", "127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1", "::ffff:10.0.0.5", "2001:db8::42"]) {
      expect(trust.has(ok), ok).toBe(true);
    }
    for (const no of ["11.0.0.1", "192.0.2.8", "2001:db9::1", "not-an-ip", ""]) expect(trust.has(no), no).toBe(false);
  });

  it("trusts no one by default", () => {
    for (const value of [undefined, "", " , "]) {
      const trust = parseTrustProxy(value);
      expect(trust.has("127.0.0.1")).toBe(false);
      expect(trust.has("::1")).toBe(false);
    }
  });

  it("rejects entries that are not addresses or ranges", () => {
    expect(() => parseTrustProxy("10.0.0.0/33")).toThrow(/bad prefix length/);
    expect(() => parseTrustProxy("proxy.internal")).toThrow(/not an IP address/);
    expect(() => parseTrustProxy("10.0.0.0/x")).toThrow(/bad prefix length/);
  });
});

describe("the proxy rule", () => {
  const forwarded = { host: "10.0.0.2:3000", "x-forwarded-for": "6.6.6.6, 203.0.113.9", "x-forwarded-proto": "https", "x-forwarded-host": "console.example.com" };

  it("ignores forwarded headers when nothing is trusted", () => {
    expect(resolveClient(facts("198.51.100.4", forwarded), parseTrustProxy(""))).toEqual({ ip: "198.51.100.4", https: false, host: "10.0.0.2:3000" });
    // Not even from loopback: a proxy has to be named.
    expect(resolveClient(facts("127.0.0.1", forwarded), parseTrustProxy(undefined)).https).toBe(false);
  });

  it("ignores them from a peer that is not a configured proxy", () => {
    const client = resolveClient(facts("198.51.100.4", forwarded), parseTrustProxy("10.0.0.1"));
    expect(client).toEqual({ ip: "198.51.100.4", https: false, host: "10.0.0.2:3000" });
  });

  it("takes client address, scheme and host from a trusted proxy, reading X-Forwarded-For from the right", () => {
    const client = resolveClient(facts("10.0.0.1", forwarded), parseTrustProxy("10.0.0.1"));
    // 6.6.6.6 is what the client itself claimed; the proxy saw 203.0.113.9.
    expect(client).toEqual({ ip: "203.0.113.9", https: true, host: "console.example.com" });
  });

  it("takes the host and scheme the proxy appended, not the ones the client sent ahead of them", () => {
    const appended = { host: "h", "x-forwarded-host": "evil.example, console.example.com", "x-forwarded-proto": "https, http" };
    expect(resolveClient(facts("10.0.0.1", appended), parseTrustProxy("10.0.0.1"))).toMatchObject({ https: false, host: "console.example.com" });
    // Two trusted proxies, each appending: the outer one (TLS ends there) spoke to the client.
    const twoHops = { host: "h", "x-forwarded-for": "203.0.113.9, 10.0.0.5", "x-forwarded-host": "evil.example, console.example.com, inner.local", "x-forwarded-proto": "http, https, http" };
    expect(resolveClient(facts("10.0.0.1", twoHops), parseTrustProxy("10.0.0.1, 10.0.0.5"))).toEqual({ ip: "203.0.113.9", https: true, host: "console.example.com" });
    // A proxy that overwrites instead of appending leaves one value: it is the outer one's.
    const overwritten = { ...twoHops, "x-forwarded-host": "console.example.com", "x-forwarded-proto": "https" };
    expect(resolveClient(facts("10.0.0.1", overwritten), parseTrustProxy("10.0.0.1, 10.0.0.5"))).toMatchObject({ https: true, host: "console.example.com" });
  });

  it("walks through a chain of trusted proxies", () => {
    const client = resolveClient(
      facts("10.0.0.1", { host: "h", "x-forwarded-for": "6.6.6.6, 203.0.113.9, 10.0.0.7, [::1]:4431" }),
      parseTrustProxy("10.0.0.0/24, loopback"),
    );
    expect(client.ip).toBe("203.0.113.9");
    const allTrusted = resolveClient(facts("10.0.0.1", { host: "h", "x-forwarded-for": "10.0.0.9:5000" }), parseTrustProxy("10.0.0.0/24"));
    expect(allTrusted.ip).toBe("10.0.0.9");
  });

  it("keeps the connection's own scheme and host when a trusted proxy sends none", () => {
    expect(resolveClient(facts("::1", { host: "console.internal" }, true), parseTrustProxy("loopback"))).toEqual({
      ip: "::1",
      https: true,
      host: "console.internal",
    });
  });

  it("reads the peer only from the server's stamp, which must be an address", () => {
    expect(requestFacts(new Headers({ [PEER_HEADER]: "203.0.113.5", [PEER_TLS_HEADER]: "1" }))).toMatchObject({ peer: "203.0.113.5", peerTls: true });
    expect(requestFacts(new Headers({ [PEER_HEADER]: "evil" })).peer).toBeNull();
    expect(requestFacts(new Headers({ "x-forwarded-for": "203.0.113.5" })).peer).toBeNull();
    // Unknown peer: never a trusted proxy, whatever the headers say.
    expect(resolveClient(requestFacts(new Headers({ host: "h", "x-forwarded-proto": "https" })), parseTrustProxy("0.0.0.0/0, ::/0")).https).toBe(false);
  });
});

describe("same-origin rule", () => {
  const client = { ip: "203.0.113.9", https: true, host: "console.example.com" };
  const check = (headers: Record<string, string>, allowed: string[] = []) =>
    checkSameOrigin({ headers: new Headers(headers), client, allowedOrigins: allowed });

  it("accepts the console's own origin, from Origin or else Referer", () => {
    expect(check({ origin: "https://console.example.com" }).ok).toBe(true);
    expect(check({ referer: "https://console.example.com/settings?x=1" }).ok).toBe(true);
  });

  it("refuses other origins, other schemes and ports, and a missing or opaque origin", () => {
    const refused: Array<Record<string, string>> = [
      { origin: "https://evil.example" },
      { origin: "http://console.example.com" },
      { origin: "https://console.example.com:8443" },
      { origin: "null", referer: "https://console.example.com/" },
      { referer: "https://evil.example/page" },
      {},
    ];
    for (const headers of refused) expect(check(headers).ok, JSON.stringify(headers)).toBe(false);
    const missing = check({});
    expect(!missing.ok && missing.message).toMatch(/without an Origin header/);
    const foreign = check({ origin: "https://evil.example" });
    expect(foreign).toMatchObject({ ok: false, origin: "https://evil.example", expected: "https://console.example.com" });
    expect(!foreign.ok && foreign.message).toMatch(/cross-origin request from https:\/\/evil\.example/);
  });

  it("accepts configured extra origins", () => {
    expect(check({ origin: "https://ops.example.com" }, parseAllowedOrigins("https://ops.example.com, http://localhost:3000")).ok).toBe(true);
    expect(() => parseAllowedOrigins("https://ops.example.com/path")).toThrow(/not an origin/);
    expect(() => parseAllowedOrigins("ops.example.com")).toThrow(/not an origin/);
  });
});

describe("host rule", () => {
  const check = (host: string | null, allowedHosts: string[] = [], allowedOrigins: string[] = []) =>
    checkHost({ client: { ip: "203.0.113.9", https: false, host }, allowedHosts, allowedOrigins }).ok;

  it("accepts localhost and IP addresses, with or without a port", () => {
    for (const host of ["localhost", "localhost:3000", "LocalHost.:3000", "127.0.0.1:3000", "127.8.9.10", "[::1]:3000", "[::1]", "10.0.0.2:3000", "[2001:db8::1]:443"]) {
      expect(check(host), host).toBe(true);
    }
  });

  it("accepts configured names and the hosts of allowed origins, nothing else", () => {
    const allowed = parseAllowedHosts(" Console.Example.com ,ops.internal.");
    expect(allowed).toEqual(["console.example.com", "ops.internal"]);
    expect(check("console.example.com", allowed)).toBe(true);
    expect(check("OPS.INTERNAL:8443", allowed)).toBe(true);
    expect(check("admin.example.com", [], parseAllowedOrigins("https://admin.example.com"))).toBe(true);
    for (const host of ["rebound.example", "rebound.example:3000", "console.example.com.evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "evil.example@127.0.0.1", "", null]) {
      expect(check(host, allowed), String(host)).toBe(false);
    }
    expect(checkHost({ client: { ip: null, https: false, host: "rebound.example" }, allowedHosts: [], allowedOrigins: [] })).toMatchObject({
      ok: false,
      host: "rebound.example",
    });
  });

  it("accepts service names with an underscore, as compose names them", () => {
    const allowed = parseAllowedHosts("shardcast_web,web_1.internal");
    expect(allowed).toEqual(["shardcast_web", "web_1.internal"]);
    expect(check("shardcast_web:3000", allowed)).toBe(true);
    expect(check("web_1.internal", allowed)).toBe(true);
    expect(check("other_web:3000", allowed)).toBe(false);
  });

  it("names the setting to change in its refusal", () => {
    expect(checkHost({ client: { ip: null, https: false, host: "console.example.com:3000" }, allowedHosts: [], allowedOrigins: [] })).toMatchObject({
      ok: false,
      message: "Refused a request for console.example.com:3000: the console answers only to its own names. If console.example.com is one, add it to SHARDCAST_ALLOWED_HOSTS.",
    });
  });

  it("rejects settings that are not host names", () => {
    expect(() => parseAllowedHosts("https://console.example.com")).toThrow(/not a host name/);
    expect(() => parseAllowedHosts("console.example.com:3000")).toThrow(/not a host name/);
    expect(parseAllowedHosts(undefined)).toEqual([]);
  });
});

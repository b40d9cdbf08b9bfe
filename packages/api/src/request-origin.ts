import { BlockList, isIP } from "node:net";
import { ShardcastError } from "@shardcast/core";

/**
 * Set by the console's server on every incoming request from the TCP connection itself (a
 * client-sent value is overwritten), because Next.js route handlers see no socket: `x-forwarded-for`
 * there is whatever the client sent, and only filled from the socket when absent.
 */
export const PEER_HEADER = "x-shardcast-peer";
/** `1` when the connection to the console itself is TLS (set next to `PEER_HEADER`). */
export const PEER_TLS_HEADER = "x-shardcast-peer-tls";

/** Which peers may speak for the client through `X-Forwarded-For`, `-Proto` and `-Host`. */
export interface TrustProxy {
  /** The entries as configured, for logs. */
  readonly entries: readonly string[];
  has(address: string): boolean;
}

const LOOPBACK = ["127.0.0.0/8", "::1/128"];

function addEntry(list: BlockList, entry: string): void {
  const slash = entry.indexOf("/");
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) throw new ShardcastError("validation_failed", `"${entry}" is not an IP address, a CIDR range or "loopback"`);
  const type = family === 4 ? "ipv4" : "ipv6";
  if (slash < 0) {
    list.addAddress(address, type);
    return;
  }
  const bits = entry.slice(slash + 1);
  const prefix = Number(bits);
  if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128)) {
    throw new ShardcastError("validation_failed", `"${entry}" has a bad prefix length`);
  }
  list.addSubnet(address, prefix, type);
}

/**
 * Parses `SHARDCAST_TRUST_PROXY`: comma-separated IP addresses, CIDR ranges and the word
 * `loopback`. Empty trusts no one, so forwarded headers are ignored.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const entries = (value ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  const list = new BlockList();
  for (const entry of entries) {
    if (entry.toLowerCase() === "loopback") LOOPBACK.forEach((e) => addEntry(list, e));
    else addEntry(list, entry);
  }
  return {
    entries,
    has(address) {
      const family = isIP(address);
      // BlockList matches IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) against IPv4 rules too.
      return family !== 0 && entries.length > 0 && list.check(address, family === 4 ? "ipv4" : "ipv6");
    },
  };
}

/** Where a request came from, after applying the trust-proxy rule. */
export interface ClientInfo {
  /** The client's address: the peer, or what trusted proxies say; null when unknown. */
  ip: string | null;
  /** The client spoke HTTPS (to the console, or to a trusted proxy in front of it). */
  https: boolean;
  /** The host the client addressed (`Host`, or `X-Forwarded-Host` from a trusted proxy). */
  host: string | null;
}

/**
 * The value the outermost trusted proxy wrote, the one that spoke to the client: each of the
 * `hops` trusted proxies appends one, so it is `hops` from the right. Values further left are the
 * client's own claims (a proxy appending to a header the client sent keeps them); a chain shorter
 * than `hops` (proxies that overwrite rather than append) gives its first value.
 */
function hopValue(header: string | null, hops: number): string | null {
  const values = (header ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
  return values[Math.max(0, values.length - hops)] ?? null;
}

/** Strips the brackets and port some proxies write (`[::1]:8080`, `10.0.0.1:5000`). */
function bareAddress(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed?.[1]) return bracketed[1];
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  return v4port?.[1] ?? entry;
}

/**
 * Applies the trust-proxy rule. Forwarded headers count only when the peer (the address of the
 * TCP connection) is a trusted proxy; `X-Forwarded-For` is read from the right, skipping trusted
 * proxies, so a client cannot put an address of its choice in front of the chain. With nothing
 * trusted (the default) the peer is the client and every forwarded header is ignored.
 */
export function resolveClient(req: { peer: string | null; peerTls: boolean; headers: Headers }, trust: TrustProxy): ClientInfo {
  const { peer, headers } = req;
  const direct: ClientInfo = { ip: peer, https: req.peerTls, host: headers.get("host") };
  if (!peer || !trust.has(peer)) return direct;

  const chain = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((e) => bareAddress(e.trim()))
    .filter((e) => e.length > 0);
  let ip = peer;
  // Trusted proxies between the client and the console, the peer included.
  let hops = 0;
  for (let i = chain.length - 1; i >= 0 && trust.has(ip); i--, hops++) ip = chain[i]!;

  const proto = hopValue(headers.get("x-forwarded-proto"), Math.max(1, hops))?.toLowerCase();
  return {
    ip,
    https: proto ? proto === "https" : req.peerTls,
    host: hopValue(headers.get("x-forwarded-host"), Math.max(1, hops)) ?? direct.host,
  };
}

/** The facts `resolveClient` needs, read from a request that went through the console's server. */
export function requestFacts(headers: Headers): { peer: string | null; peerTls: boolean; headers: Headers } {
  const peer = headers.get(PEER_HEADER);
  return { peer: peer && isIP(peer) !== 0 ? peer : null, peerTls: headers.get(PEER_TLS_HEADER) === "1", headers };
}

/**
 * Parses `SHARDCAST_ALLOWED_ORIGINS`: comma-separated origins (`https://ops.example.com`) that may
 * send mutations besides the console's own.
 */
export function parseAllowedOrigins(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e.length > 0)
    .map((entry) => {
      let url: URL;
      try {
        url = new URL(entry);
      } catch {
        throw new ShardcastError("validation_failed", `"${entry}" is not an origin like https://console.example.com`);
      }
      if ((url.protocol !== "http:" && url.protocol !== "https:") || url.origin !== entry.replace(/\/$/, "").toLowerCase()) {
        throw new ShardcastError("validation_failed", `"${entry}" is not an origin like https://console.example.com (no path)`);
      }
      return url.origin;
    });
}

/**
 * A host name as the allowlists hold it: lowercase, without a trailing dot. `_` is allowed: DNS
 * forbids it in host names, but compose and cluster service names (`shardcast_web`) carry it.
 */
const HOST_NAME = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/;

/**
 * Parses `SHARDCAST_ALLOWED_HOSTS`: comma-separated host names (`console.example.com`) the console
 * is reached by, besides loopback names and IP addresses.
 */
export function parseAllowedHosts(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e.length > 0)
    .map((entry) => {
      const name = entry.toLowerCase().replace(/\.$/, "");
      if (!HOST_NAME.test(name)) throw new ShardcastError("validation_failed", `"${entry}" is not a host name like console.example.com (no scheme, no port)`);
      return name;
    });
}

/** The name part of a `Host` value (no port, no trailing dot, IPv6 without brackets), or null when it is none. */
function hostName(host: string): string | null {
  const match = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9._-]+))(?::\d{1,5})?$/i.exec(host.trim());
  const name = (match?.[1] ?? match?.[2])?.toLowerCase().replace(/\.$/, "");
  return name ? name : null;
}

/**
 * The DNS-rebinding rule, for every API request: the host the client addressed must be one of the
 * console's own. A page of another site whose name was re-pointed at the console's address is
 * same-origin with itself, so the origin check alone lets it through (and before the first admin
 * exists it could set one up); its requests still name its own host. Accepted: `localhost`, any IP
 * address (a rebound page is always reached by a name), the names in `SHARDCAST_ALLOWED_HOSTS`
 * and the hosts of `SHARDCAST_ALLOWED_ORIGINS`.
 */
export function checkHost(input: {
  client: ClientInfo;
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
}): { ok: true } | { ok: false; message: string; host: string | null } {
  const host = input.client.host;
  const name = host ? hostName(host) : null;
  const known =
    name !== null &&
    (name === "localhost" ||
      isIP(name) !== 0 ||
      input.allowedHosts.includes(name) ||
      input.allowedOrigins.some((origin) => new URL(origin).hostname.replace(/^\[|\]$/g, "") === name));
  if (known) return { ok: true };
  return {
    ok: false,
    host,
    message: host
      ? `Refused a request for ${host}: the console answers only to its own names. If ${name ?? host} is one, add it to SHARDCAST_ALLOWED_HOSTS.`
      : "Refused a request without a Host header.",
  };
}

function originOf(value: string | null): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : null;
  } catch {
    return null;
  }
}

/**
 * The cross-site request rule for state-changing requests: the browser's `Origin` (else the
 * `Referer`'s origin) must be the console's own origin (scheme and host as the client addressed
 * them) or an allowed one. A request naming no origin is refused too: browsers always send
 * `Origin` on a POST, so only non-browser clients omit it, and they have no business with the
 * console's cookie-authenticated API.
 */
export function checkSameOrigin(input: {
  headers: Headers;
  client: ClientInfo;
  allowedOrigins: readonly string[];
}): { ok: true } | { ok: false; message: string; origin: string | null; expected: string | null } {
  const { headers, client } = input;
  const sent = headers.get("origin");
  const origin = sent !== null ? originOf(sent) : originOf(headers.get("referer"));
  const expected = client.host ? originOf(`${client.https ? "https" : "http"}://${client.host}`) : null;
  if (origin && (origin === expected || input.allowedOrigins.includes(origin))) return { ok: true };
  return {
    ok: false,
    origin,
    expected,
    message: origin
      ? `Refused a cross-origin request from ${origin}: changes are only accepted from the console's own pages.`
      : "Refused a request without an Origin header: changes are only accepted from the console's own pages.",
  };
}

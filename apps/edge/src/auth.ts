import { LRUCache } from "lru-cache";
import { isShardcastError, ShardcastError } from "@shardcast/core";
import type { ApiKeyQuota } from "@shardcast/db";

export interface KeyGrant {
  id: string;
  name: string;
  streams: string[];
  canProduce: boolean;
  canConsume: boolean;
  /** Consumer groups the key may join, describe and act in; empty means any group. */
  consumerGroups: string[];
  /** Rate limits, cached with the grant: a changed limit applies when the entry is evicted or expires. */
  quota: ApiKeyQuota;
}

/** A grant, null for a token that is no key, or a `ShardcastError` thrown for a key refused as it stands (its creator disabled or no longer an admin). */
export type VerifyKey = (token: string) => Promise<KeyGrant | null>;

export interface ApiKeyCacheOptions {
  /**
   * How long a verified key is served from memory (revocations also evict at once by message).
   * Also the longest a key stays usable after its creator is disabled or demoted, should that message be missed.
   */
  ttlMs: number;
  /** Most verified keys held. */
  maxEntries: number;
  /** How long an unknown token (or a key refused for its creator) is remembered as refused. */
  negativeTtlMs: number;
  /** Most unknown tokens remembered. */
  maxNegativeEntries: number;
}

/**
 * Longer than any token the control plane issues (`sc_` + 10 + `_` + 43 characters): refused
 * without a lookup, so a spray of huge junk tokens cannot fill the unknown-token cache's memory.
 */
const MAX_TOKEN_LENGTH = 256;

export const DEFAULT_API_KEY_CACHE: ApiKeyCacheOptions = { ttlMs: 30_000, maxEntries: 10_000, negativeTtlMs: 30_000, maxNegativeEntries: 10_000 };

/**
 * Producers and consumers authenticate with `Authorization: Bearer sc_<prefix>_<secret>`.
 * Verified keys are cached so the hot path skips the control database. Unknown tokens go to a
 * separate bounded cache: a spray of random tokens can only evict other unknown tokens, never a
 * valid key. Concurrent misses for one token share one database lookup.
 *
 * A key's grant depends on its creator too (keys of a disabled or demoted creator are refused), which the
 * lookup checks. Cached entries are not renewed by use, so even when the announcement of a
 * disabled creator is missed, the key is looked up again within `ttlMs` of being cached.
 */
export class ApiKeyAuth {
  private readonly known: LRUCache<string, KeyGrant>;
  /** `true` for a token that is no key; the refusal for a key refused as it stands. */
  private readonly unknown: LRUCache<string, true | ShardcastError>;
  private readonly inFlight = new Map<string, Promise<KeyGrant | null>>();
  // Bumped by every eviction: a lookup that started before one must not put back what was evicted.
  private generation = 0;

  constructor(
    private readonly verify: VerifyKey,
    opts: ApiKeyCacheOptions = DEFAULT_API_KEY_CACHE,
  ) {
    // No `updateAgeOnGet`: a key in steady use must still be looked up again every `ttlMs`, or a
    // creator disabled while the announcement was missed would never be noticed.
    this.known = new LRUCache<string, KeyGrant>({ max: opts.maxEntries, ttl: opts.ttlMs });
    this.unknown = new LRUCache<string, true | ShardcastError>({ max: opts.maxNegativeEntries, ttl: opts.negativeTtlMs });
  }

  async authorize(header: string | undefined, stream: string, need: "produce" | "consume"): Promise<KeyGrant> {
    return this.permit(await this.authenticate(header), stream, need);
  }

  /** The grant of a valid key, whatever it may do (`permit` checks that once the stream is known). */
  async authenticate(header: string | undefined): Promise<KeyGrant> {
    if (!header) throw new ShardcastError("unauthenticated", "missing API key: send `Authorization: Bearer <key>`");
    const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!m?.[1]) throw new ShardcastError("unauthenticated", "malformed Authorization header: expected `Bearer <key>`");
    const grant = m[1].length > MAX_TOKEN_LENGTH ? null : await this.lookup(m[1]);
    if (!grant) throw new ShardcastError("unauthenticated", "invalid or revoked API key");
    return grant;
  }

  /** `grant` if it may `need` on `stream`, else a 403. */
  permit(grant: KeyGrant, stream: string, need: "produce" | "consume"): KeyGrant {
    if (!grant.streams.includes("*") && !grant.streams.includes(stream)) {
      throw new ShardcastError("forbidden", `API key "${grant.name}" is not scoped to stream "${stream}"`);
    }
    if (need === "produce" && !grant.canProduce) {
      throw new ShardcastError("forbidden", `API key "${grant.name}" may not produce events`);
    }
    if (need === "consume" && !grant.canConsume) {
      throw new ShardcastError("forbidden", `API key "${grant.name}" may not read events`);
    }
    return grant;
  }

  private lookup(token: string): Promise<KeyGrant | null> {
    const hit = this.known.get(token);
    if (hit) return Promise.resolve(hit);
    const refused = this.unknown.get(token);
    if (refused === true) return Promise.resolve(null);
    if (refused) return Promise.reject(refused);
    const pending = this.inFlight.get(token);
    if (pending) return pending;
    const generation = this.generation;
    const lookup = this.verify(token)
      .then((grant) => {
        if (generation === this.generation) {
          if (grant) this.known.set(token, grant);
          else this.unknown.set(token, true);
        }
        return grant;
      })
      .catch((err: unknown) => {
        // A refused key is answered from memory like an unknown token, so a client retrying it
        // costs no lookup per request. Other failures (the database unreachable) are not remembered.
        if (isShardcastError(err) && (err.code === "forbidden" || err.code === "unauthenticated") && generation === this.generation) this.unknown.set(token, err);
        throw err;
      })
      .finally(() => this.inFlight.delete(token));
    this.inFlight.set(token, lookup);
    return lookup;
  }

  /** Drops cached keys with this public prefix (revocation, a changed quota or creator, its creator disabled, enabled or its role changed). */
  evictPrefix(prefix: string): void {
    this.generation++;
    const start = `sc_${prefix}_`;
    for (const token of [...this.known.keys()]) if (token.startsWith(start)) this.known.delete(token);
    // A key refused for its creator works again as soon as the creator is enabled or an admin again, or the key is adopted.
    for (const [token, refused] of [...this.unknown.entries()]) if (refused !== true && token.startsWith(start)) this.unknown.delete(token);
  }

  /**
   * Drops every cached key: after the revocation messages may have been missed (a pub/sub
   * reconnect), each key is looked up again rather than trusted until its TTL.
   */
  evictAll(): void {
    this.generation++;
    this.known.clear();
  }

  /** Cache sizes, for tests and diagnostics. */
  get sizes(): { known: number; unknown: number; inFlight: number } {
    return { known: this.known.size, unknown: this.unknown.size, inFlight: this.inFlight.size };
  }
}

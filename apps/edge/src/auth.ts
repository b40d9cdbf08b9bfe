import { ShardcastError } from "@shardcast/core";

export interface KeyGrant {
  id: string;
  name: string;
  streams: string[];
  canProduce: boolean;
  canConsume: boolean;
}

export type VerifyKey = (token: string) => Promise<KeyGrant | null>;

const TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

/**
 * Producers and consumers authenticate with `Authorization: Bearer sc_<prefix>_<secret>`.
 * Verified keys are cached briefly so the hot path skips the control database; a revocation
 * message (or the TTL) evicts them.
 */
export class ApiKeyAuth {
  private readonly cache = new Map<string, { grant: KeyGrant | null; at: number }>();

  constructor(
    private readonly verify: VerifyKey,
    private readonly clock: () => number = Date.now,
  ) {}

  async authorize(header: string | undefined, stream: string, need: "produce" | "consume"): Promise<KeyGrant> {
    if (!header) throw new ShardcastError("unauthenticated", "missing API key: send `Authorization: Bearer <key>`");
    const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!m?.[1]) throw new ShardcastError("unauthenticated", "malformed Authorization header: expected `Bearer <key>`");
    const grant = await this.lookup(m[1]);
    if (!grant) throw new ShardcastError("unauthenticated", "invalid or revoked API key");
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

  private async lookup(token: string): Promise<KeyGrant | null> {
    const now = this.clock();
    const hit = this.cache.get(token);
    if (hit && now - hit.at < TTL_MS) return hit.grant;
    const grant = await this.verify(token);
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(token, { grant, at: now });
    return grant;
  }

  /** Drops cached keys with this public prefix (revocation message). */
  evictPrefix(prefix: string): void {
    for (const token of this.cache.keys()) if (token.startsWith(`sc_${prefix}_`)) this.cache.delete(token);
  }
}

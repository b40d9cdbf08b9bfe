import type { HostRun } from "./types.ts";

/**
 * Which layout of `sc_events` a host has. `legacy`: one table keyed by (stream_id, seq) with a
 * unique event-id index (host migrations up to 0008). `partitioned`: time partitions by `part`
 * (the stored second) and the producers' ids in `sc_event_ids` (0009; in two generations since
 * 0010, see id-generations.ts). Migration 0009 switches a
 * host in one transaction that also creates `sc_event_ids`, so that table's presence tells the two
 * apart exactly. The code runs against both, so edges and workers keep writing while a host is
 * migrated: each statement that differs is built for the layout its driver last saw.
 */
export type HostLayout = "legacy" | "partitioned";

/**
 * Errors a statement built for the other layout fails with, before it changed anything: a table
 * or column that does not exist (42P01, 42703), an ON CONFLICT target without its unique index
 * (42P10). A statement that waited for the switch's lock is planned again against the new table
 * and fails the same way.
 */
const LAYOUT_ERRORS = new Set(["42P01", "42703", "42P10"]);

export function isLayoutError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === "object" && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && LAYOUT_ERRORS.has(code)) return true;
  }
  return false;
}

/** A legacy answer is asked again after this long: a host is migrated while its drivers run. */
const LEGACY_TTL_MS = 5_000;

/** The layout of one host, looked up once and kept; a partitioned host never goes back. */
export class LayoutCache {
  private known: { layout: HostLayout; at: number } | null = null;
  private pending: Promise<HostLayout> | null = null;

  constructor(private readonly run: HostRun) {}

  async get(fresh = false): Promise<HostLayout> {
    const k = this.known;
    if (!fresh && k && (k.layout === "partitioned" || Date.now() - k.at < LEGACY_TTL_MS)) return k.layout;
    this.pending ??= this.detect().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async detect(): Promise<HostLayout> {
    const res = await this.run<{ partitioned: boolean }>("layout", { text: "SELECT to_regclass('sc_event_ids') IS NOT NULL AS partitioned" });
    const layout: HostLayout = res.rows[0]?.partitioned ? "partitioned" : "legacy";
    this.known = { layout, at: Date.now() };
    return layout;
  }

  /**
   * Runs `fn` for the host's layout; when it fails as a statement of the other layout would, the
   * layout is looked up again and, if it changed, `fn` runs once more for the new one.
   */
  async with<T>(fn: (layout: HostLayout) => Promise<T>): Promise<T> {
    const layout = await this.get();
    try {
      return await fn(layout);
    } catch (err) {
      if (!isLayoutError(err)) throw err;
      const now = await this.get(true);
      if (now === layout) throw err;
      return fn(now);
    }
  }
}

import type { Cursor } from "./cursor.ts";

/** Where a read of one shardlet starts. */
export interface ReadStart {
  shardletId: string;
  cursor: Cursor;
}

/** Read-aheads whose outcome the gate weighs (the newest). */
const WINDOW = 32;
/** Fewer outcomes than this: read ahead (nothing is known yet). */
const MIN_OUTCOMES = 8;
/** Read ahead while at least this share of the weighed read-aheads was used. */
const MIN_USED_SHARE = 0.5;
/** While closed, one poll in this many still reads ahead, so the record can show a change. */
const PROBE_EVERY = 8;
/** A read-ahead whose member has not polled this edge again within this long was not used here. */
const PENDING_MS = 30_000;
/** Members with a read-ahead waiting for their next poll that one edge remembers (oldest dropped, as not used). */
const MAX_PENDING = 10_000;
/** Weight of the newest read-ahead's duration in the edge's estimate of how long reading a page takes. */
const READ_MS_WEIGHT = 0.2;

/**
 * Whether group read-aheads pay on this edge (an edge reads a member's next page into its cache
 * while the member works on one). A read-ahead pays only if the member's next poll
 * comes to this edge and starts where the read-ahead did: behind a load balancer that spreads
 * requests rather than connections, or with members that poll from elsewhere each time, it would
 * read every page twice. So each read-ahead is scored by the member's next poll here (used when it
 * starts where the read-ahead did; not used when it starts elsewhere, or never comes within
 * `PENDING_MS`), and read-aheads stop while fewer than half of the newest 32 were used, but for one
 * poll in eight that keeps the record current.
 *
 * A read-ahead also pays only if the member has work to hide it behind. A member whose handler
 * returns at once polls again before the read-ahead has answered and waits for it, as it would have
 * waited for its own read; meanwhile the edge paid the cache's bookkeeping on top (a page served
 * from the cache costs the edge more than one passed through from the hosts). So a member that
 * reports how long it processed its last page (the SDK does with every poll) gets a read-ahead
 * only when that took at least as long as reading a page does on this edge (`readTook`: the
 * read-aheads' durations and those of polls' own host reads); a member that reports nothing is
 * read ahead for as before.
 */
export class ReadAheadGate {
  private readonly pending = new Map<string, { from: string; at: number }>();
  private readonly outcomes: boolean[] = [];
  private closedPolls = 0;
  /** How long reading a member's page from the hosts takes here, ms (null before any was timed). */
  private readMs: number | null = null;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Scores the member's read-ahead waiting for this poll, if any (`parts`: where the poll reads from). */
  polled(member: string, parts: readonly ReadStart[]): void {
    this.expire();
    const p = this.pending.get(member);
    if (!p) return;
    this.pending.delete(member);
    this.record(p.from === signature(parts));
  }

  /**
   * Whether to read ahead for this poll's member now; when it does, call `readAhead` with where it
   * reads from. `workMs`: how long the member processed its previous page, when it said.
   */
  shouldReadAhead(workMs?: number): boolean {
    if (workMs !== undefined && this.readMs !== null && workMs <= this.readMs) return false;
    if (this.open()) return true;
    return this.closedPolls++ % PROBE_EVERY === 0;
  }

  /** A read-ahead took `ms` from its start until its page was in the cache. */
  readTook(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.readMs = this.readMs === null ? ms : this.readMs + READ_MS_WEIGHT * (ms - this.readMs);
  }

  /** How long reading a page takes on this edge, as the read-aheads measured it (null before any). */
  readDurationMs(): number | null {
    return this.readMs;
  }

  readAhead(member: string, from: readonly ReadStart[]): void {
    if (this.pending.has(member)) this.record(false);
    this.pending.delete(member);
    this.pending.set(member, { from: signature(from), at: this.clock() });
    while (this.pending.size > MAX_PENDING) {
      this.pending.delete(this.pending.keys().next().value!);
      this.record(false);
    }
  }

  /** The share of the weighed read-aheads that were used (null before any was scored). */
  usedShare(): number | null {
    return this.outcomes.length === 0 ? null : this.outcomes.filter(Boolean).length / this.outcomes.length;
  }

  open(): boolean {
    const share = this.usedShare();
    return this.outcomes.length < MIN_OUTCOMES || share === null || share >= MIN_USED_SHARE;
  }

  private record(used: boolean): void {
    this.outcomes.push(used);
    if (this.outcomes.length > WINDOW) this.outcomes.shift();
  }

  private expire(): void {
    const before = this.clock() - PENDING_MS;
    // Insertion order is the order read-aheads were made: the expired ones come first.
    for (const [member, p] of this.pending) {
      if (p.at >= before) break;
      this.pending.delete(member);
      this.record(false);
    }
  }
}

/** Where a read starts, as text: each part's shardlet and cursor. */
function signature(parts: readonly ReadStart[]): string {
  return parts
    .map((p) => `${p.shardletId}:${p.cursor.map((s) => `${s.lo}-${s.hi}@${s.after}`).join(",")}`)
    .sort()
    .join(";");
}

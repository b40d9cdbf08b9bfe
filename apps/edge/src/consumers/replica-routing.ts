import type { ReplicaRoute, ShardletRoute } from "@shardcast/core";
import type { RangeSegment } from "@shardcast/db/host";

/**
 * How far each read replica is verified, as this edge last heard: from its routes, the worker's
 * progress messages and the replicas' own answers. Only a hint for choosing where to read (it only
 * rises, and a replica caps every read at its real verified position).
 */
export class ReplicaHints {
  private readonly verified = new Map<string, number>();
  private readonly turns = new Map<string, number>();
  private readonly avoidUntil = new Map<string, number>();

  constructor(
    private readonly clock: () => number = Date.now,
    /** How long a replica whose host did not answer is left out of reads (its shardlet's host serves them). */
    private readonly avoidMs = 10_000,
  ) {}

  /** The replica's host did not answer: reads go to the shardlet's host for a while. */
  unreachable(replicaId: string): void {
    this.avoidUntil.set(replicaId, this.clock() + this.avoidMs);
  }

  /** Progress announced by the worker: it only raises the hint (messages may arrive out of order). */
  observe(replicaId: string, verifiedSeq: number): void {
    if (verifiedSeq > (this.verified.get(replicaId) ?? 0)) this.verified.set(replicaId, verifiedSeq);
  }

  /** The replica's own answer: authoritative (a replica rebuilt from scratch answers lower than before). */
  answered(replicaId: string, verifiedSeq: number): void {
    this.verified.set(replicaId, verifiedSeq);
  }

  forget(replicaId: string): void {
    this.verified.delete(replicaId);
  }

  verifiedOf(r: ReplicaRoute): number {
    return this.verified.get(r.id) ?? r.verifiedSeq;
  }

  /**
   * Where to read a shardlet's range from `from` on: its host or one of its replicas verified past
   * `from`, in turn, so reads spread over all of them. Never a replica while the shardlet is
   * migrating (its rows are then on two hosts and the replica is about to be dropped).
   */
  pick(s: ShardletRoute, from: number): ReplicaRoute | null {
    if (s.shadowHostId || !s.replicas?.length) return null;
    const now = this.clock();
    const usable = s.replicas.filter((r) => this.verifiedOf(r) > from && (this.avoidUntil.get(r.id) ?? 0) <= now);
    if (usable.length === 0) return null;
    const turn = this.turns.get(s.id) ?? 0;
    this.turns.set(s.id, (turn + 1) % (usable.length + 1));
    return turn === 0 ? null : (usable[turn - 1] ?? null);
  }
}

/** The parts of `segments` inside [lo, hi). */
export function clipSegments(segments: readonly RangeSegment[], lo: number, hi: number): RangeSegment[] {
  return segments.filter((s) => s.lo < hi && lo < s.hi).map((s) => ({ lo: Math.max(s.lo, lo), hi: Math.min(s.hi, hi), after: s.after }));
}

/** `segments` without the key-hash ranges in `holes` (each hole [lo, hi)). */
export function subtractRanges(segments: readonly RangeSegment[], holes: ReadonlyArray<{ lo: number; hi: number }>): RangeSegment[] {
  let out = [...segments];
  for (const h of holes) {
    out = out.flatMap((s) => {
      if (s.hi <= h.lo || h.hi <= s.lo) return [s];
      const parts: RangeSegment[] = [];
      if (s.lo < h.lo) parts.push({ lo: s.lo, hi: h.lo, after: s.after });
      if (h.hi < s.hi) parts.push({ lo: h.hi, hi: s.hi, after: s.after });
      return parts;
    });
  }
  return out;
}

import { LATENCY_HALF_LIFE_READS, LatencyChooser, type ReplicaRoute, type Rng, type ShardletRoute } from "@shardcast/core";
import type { RangeSegment } from "@shardcast/db/host";

/**
 * How reads that may go to a shardlet's host or one of its replicas choose: `latency` by the
 * targets' recent read times (power of two choices, see core's `LatencyChooser`), `round-robin`
 * in turn whatever they take.
 */
export type ReplicaRoutingPolicy = "latency" | "round-robin";

export interface ReplicaRouting {
  policy: ReplicaRoutingPolicy;
  /** Share of latency-routed reads sent to a target chosen uniformly, so every estimate stays fed. */
  floorShare?: number;
  /** Half-life of a read time's weight in a target's estimate, in ms. */
  halfLifeMs?: number;
  /** The same in later reads of the target; whichever of the two halves a read's weight sooner applies. */
  halfLifeReads?: number;
  /** The random source (default `Math.random`; a seeded `createRng` in tests). */
  rng?: Pick<Rng, "next">;
}

export const DEFAULT_REPLICA_ROUTING = { policy: "latency", floorShare: 0.02, halfLifeMs: 1_000, halfLifeReads: LATENCY_HALF_LIFE_READS } as const satisfies ReplicaRouting;

/** What a read's time is counted for: a shardlet's own host, or a replica. */
export type ReadTarget = { hostId: string } | { replicaId: string };

// Hosts and replicas have ids of their own; the prefix keeps their estimates apart all the same.
const targetKey = (t: ReadTarget) => ("hostId" in t ? `h:${t.hostId}` : `r:${t.replicaId}`);

/**
 * How far each read replica is verified, as this edge last heard: from its routes, the worker's
 * progress messages and the replicas' own answers. Only a hint for choosing where to read (it only
 * rises, and a replica caps every read at its real verified position). With the latency policy,
 * also how long reads of each host and replica took lately.
 */
export class ReplicaHints {
  private readonly verified = new Map<string, number>();
  private readonly turns = new Map<string, number>();
  private readonly avoidUntil = new Map<string, number>();
  private readonly latency: LatencyChooser | null;

  constructor(
    private readonly clock: () => number = Date.now,
    /** How long a replica whose host did not answer is left out of reads (its shardlet's host serves them). */
    private readonly avoidMs = 10_000,
    /** Absent: round-robin, the policy that needs no measurements (the edge passes its setting). */
    routing: ReplicaRouting = { policy: "round-robin" },
  ) {
    this.latency =
      routing.policy === "latency"
        ? new LatencyChooser({
            floorShare: routing.floorShare ?? DEFAULT_REPLICA_ROUTING.floorShare,
            halfLifeMs: routing.halfLifeMs ?? DEFAULT_REPLICA_ROUTING.halfLifeMs,
            halfLifeReads: routing.halfLifeReads ?? DEFAULT_REPLICA_ROUTING.halfLifeReads,
            rng: routing.rng ?? { next: () => Math.random() },
          })
        : null;
  }

  /** A read of `target` begins: until it is `measured` or `abandoned`, it weighs on the target's cost. */
  begin(target: ReadTarget): void {
    this.latency?.begin(targetKey(target), this.clock());
  }

  /** A read of `target` begun earlier failed (no time to count). */
  abandoned(target: ReadTarget): void {
    this.latency?.abandon(targetKey(target));
  }

  /** A read of `target` took `ms` (counted only by the latency policy). */
  measured(target: ReadTarget, ms: number): void {
    this.latency?.observe(targetKey(target), ms, this.clock());
  }

  /** The target's current latency estimate in ms (undefined: none fresh, or round-robin). */
  estimate(target: ReadTarget): number | undefined {
    return this.latency?.estimate(targetKey(target), this.clock());
  }

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
    this.latency?.forget(targetKey({ replicaId }));
  }

  verifiedOf(r: ReplicaRoute): number {
    return this.verified.get(r.id) ?? r.verifiedSeq;
  }

  /**
   * Where to read a shardlet's range from `from` on: its host or one of its replicas verified past
   * `from` and not left out as unreachable, by the policy (null: the host). Never a replica while
   * the shardlet is migrating (its rows are then on two hosts and the replica is about to be
   * dropped).
   */
  pick(s: ShardletRoute, from: number): ReplicaRoute | null {
    if (s.shadowHostId || !s.replicas?.length) return null;
    const now = this.clock();
    const usable = s.replicas.filter((r) => this.verifiedOf(r) > from && (this.avoidUntil.get(r.id) ?? 0) <= now);
    if (usable.length === 0) return null;
    if (this.latency) {
      const i = this.latency.choose([targetKey({ hostId: s.hostId }), ...usable.map((r) => targetKey({ replicaId: r.id }))], now);
      return i === 0 ? null : (usable[i - 1] ?? null);
    }
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

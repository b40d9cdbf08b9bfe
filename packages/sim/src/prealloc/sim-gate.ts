import { DEFAULT_PREALLOC_GATE, gatePreallocDecision, preallocGateVerdict, type PreallocDecision, type SettledPrediction } from "@shardcast/core";

interface Shadow {
  untilMs: number;
  used: boolean;
  fallbacksIfReactive: number;
  cost: number;
}

/**
 * The product's skill gate (core's `preallocGateVerdict`) on the simulator's clock: settled
 * pre-allocations and shadows, newest first. A shadow is scored as the simulator scores a prepared
 * part: used when its model range surges before the horizon and grace end.
 */
export class SimSkillGate {
  private settled: SettledPrediction[] = [];
  private readonly shadows = new Map<string, Shadow>();
  held = 0;
  shadowHits = 0;
  shadowsWasted = 0;

  constructor(private readonly enabled: boolean) {}

  /** The decision under the gate; a held-back one opens a shadow on `range` (one per range at a time). */
  decide(decision: PreallocDecision, range: string, untilMs: number): PreallocDecision {
    if (!this.enabled || !decision.prepare) return decision;
    const gated = gatePreallocDecision(decision, preallocGateVerdict(this.settled, DEFAULT_PREALLOC_GATE));
    if (!gated.shadow) return gated;
    this.held++;
    if (!this.shadows.has(range)) this.shadows.set(range, { untilMs, used: false, fallbacksIfReactive: decision.fallbacksIfReactive, cost: decision.cost });
    return gated;
  }

  /** An event landed in `range` while the model saw it surging (or not). */
  observe(range: string, surging: boolean): void {
    if (!surging || this.shadows.size === 0) return;
    const s = this.shadows.get(range);
    if (s) s.used = true;
  }

  /** Settles shadows whose surge came or whose time ran out. */
  tick(nowMs: number): void {
    for (const [range, s] of this.shadows) {
      if (!s.used && nowMs < s.untilMs) continue;
      this.shadows.delete(range);
      if (s.used) this.shadowHits++;
      else this.shadowsWasted++;
      this.record({ hit: s.used, fallbacksIfReactive: s.fallbacksIfReactive, cost: s.cost, shadow: true });
    }
  }

  record(p: SettledPrediction): void {
    this.settled.unshift(p);
    if (this.settled.length > DEFAULT_PREALLOC_GATE.window) this.settled.length = DEFAULT_PREALLOC_GATE.window;
  }
}

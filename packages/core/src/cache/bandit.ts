import { z } from "zod";
import { ShardcastError } from "../errors.ts";

/** What adaptive placement can do with a shardlet (seed 002, part 3). */
export const PLACEMENT_ARMS = ["replicate", "cache-pin", "move", "archive", "leave"] as const;
export type PlacementArm = (typeof PLACEMENT_ARMS)[number];

export interface ArmValue {
  pulls: number;
  mean: number;
  /** Upper confidence bound; null until the arm has been tried (untried arms are chosen first). */
  ucb: number | null;
}

export interface PlacementBanditOptions {
  /** Scale of the exploration bonus (1 is UCB1 as published, for rewards in [0, 1]). */
  exploration: number;
  /** Contexts kept; beyond it the least pulled (then least recently used) is forgotten. */
  maxContexts: number;
}

interface Arms {
  pulls: number[];
  sums: number[];
  used: number;
}

const banditDataSchema = z.object({
  v: z.literal(1),
  exploration: z.number().finite().min(0),
  maxContexts: z.number().int().min(1),
  clock: z.number().int().min(0),
  contexts: z.array(
    z.object({
      context: z.string(),
      used: z.number().int().min(0),
      pulls: z.array(z.number().int().min(0)).length(PLACEMENT_ARMS.length),
      sums: z.array(z.number().finite().min(0)).length(PLACEMENT_ARMS.length),
    }),
  ),
});

export type PlacementBanditData = z.infer<typeof banditDataSchema>;

/**
 * UCB1 (Auer, Cesa-Bianchi & Fischer, 2002) over the placement actions, one independent bandit per
 * context (a shardlet id, or a class of shardlets when ids are too many to learn each). Rewards are
 * clamped to [0, 1], the range UCB1's bound assumes: the caller maps hit-rate gain net of transfer
 * cost into it. Ties go to the earlier arm in `PLACEMENT_ARMS`, so the same history gives the same
 * choice.
 */
export class PlacementBandit {
  readonly exploration: number;
  readonly maxContexts: number;
  #contexts = new Map<string, Arms>();
  #clock = 0;

  constructor(opts: Partial<PlacementBanditOptions> = {}) {
    this.exploration = Math.max(0, opts.exploration ?? 1);
    this.maxContexts = Math.max(1, Math.floor(opts.maxContexts ?? 5000));
  }

  /** The arm to pull among `allowed` (default: every arm); the first untried one, else the highest bound. */
  choose(context: string, allowed: readonly PlacementArm[] = PLACEMENT_ARMS): PlacementArm {
    const values = this.values(context);
    const arms = PLACEMENT_ARMS.filter((a) => allowed.includes(a));
    if (arms.length === 0) throw new ShardcastError("bad_request", "the bandit needs at least one arm to choose from");
    let best: PlacementArm = arms[0]!;
    let bestUcb = -Infinity;
    for (const arm of arms) {
      const u = values[arm].ucb;
      if (u === null) return arm;
      if (u > bestUcb) [best, bestUcb] = [arm, u];
    }
    return best;
  }

  reward(context: string, arm: PlacementArm, r: number): void {
    if (!Number.isFinite(r)) throw new ShardcastError("bad_request", `bandit reward must be a finite number, got ${r}`);
    const i = PLACEMENT_ARMS.indexOf(arm);
    if (i < 0) throw new ShardcastError("bad_request", `unknown placement arm ${JSON.stringify(arm)}`);
    const a = this.#arms(context);
    a.pulls[i]!++;
    a.sums[i]! += Math.min(1, Math.max(0, r));
    a.used = ++this.#clock;
  }

  /** Per arm for one context, or summed over all contexts when none is given. */
  values(context?: string): Record<PlacementArm, ArmValue> {
    const pulls = PLACEMENT_ARMS.map(() => 0);
    const sums = PLACEMENT_ARMS.map(() => 0);
    const sources = context === undefined ? [...this.#contexts.values()] : [this.#contexts.get(context)].filter((a): a is Arms => a !== undefined);
    for (const a of sources) {
      for (let i = 0; i < PLACEMENT_ARMS.length; i++) {
        pulls[i]! += a.pulls[i]!;
        sums[i]! += a.sums[i]!;
      }
    }
    const total = pulls.reduce((x, y) => x + y, 0);
    const out = {} as Record<PlacementArm, ArmValue>;
    PLACEMENT_ARMS.forEach((arm, i) => {
      const n = pulls[i]!;
      const mean = n > 0 ? sums[i]! / n : 0;
      out[arm] = { pulls: n, mean, ucb: n > 0 ? mean + this.exploration * Math.sqrt((2 * Math.log(total)) / n) : null };
    });
    return out;
  }

  contexts(): string[] {
    return [...this.#contexts.keys()].sort();
  }

  #arms(context: string): Arms {
    let a = this.#contexts.get(context);
    if (a) return a;
    if (this.#contexts.size >= this.maxContexts) {
      let victim: string | null = null;
      let v: Arms | null = null;
      for (const [c, x] of this.#contexts) {
        const px = x.pulls.reduce((s, n) => s + n, 0);
        const pv = v ? v.pulls.reduce((s, n) => s + n, 0) : Infinity;
        if (px < pv || (px === pv && v !== null && x.used < v.used)) [victim, v] = [c, x];
      }
      if (victim !== null) this.#contexts.delete(victim);
    }
    a = { pulls: PLACEMENT_ARMS.map(() => 0), sums: PLACEMENT_ARMS.map(() => 0), used: this.#clock };
    this.#contexts.set(context, a);
    return a;
  }

  toData(): PlacementBanditData {
    return {
      v: 1,
      exploration: this.exploration,
      maxContexts: this.maxContexts,
      clock: this.#clock,
      contexts: [...this.#contexts].map(([context, a]) => ({ context, used: a.used, pulls: [...a.pulls], sums: [...a.sums] })),
    };
  }

  /** The state `toData` wrote. Throws `bad_request` on anything else. */
  static fromData(d: unknown): PlacementBandit {
    const parsed = banditDataSchema.safeParse(d);
    if (!parsed.success) throw new ShardcastError("bad_request", `placement bandit state: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const data = parsed.data;
    const b = new PlacementBandit({ exploration: data.exploration, maxContexts: data.maxContexts });
    b.#clock = data.clock;
    for (const c of data.contexts.slice(-data.maxContexts)) b.#contexts.set(c.context, { pulls: [...c.pulls], sums: [...c.sums], used: c.used });
    return b;
  }
}

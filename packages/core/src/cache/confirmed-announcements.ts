import { DecayedTallies } from "./decayed-tallies.ts";

/** Settings of `ConfirmedAnnouncements`. */
export interface ConfirmedAnnouncementsOptions {
  /** Announcements the prior is worth in the posterior. */
  priorWeight?: number;
  halfLifeMs: number;
}

/** One announced shardlet of a waiting announcement. */
interface Member {
  /** The reader the engine predicts (a read by another reader confirms nothing); null: any. */
  target: string | null;
  /** The pair's own precision at the announcement: the prior of its confirmed precision. */
  p: number;
  read: boolean;
}

interface Waiting {
  type: string;
  /** The first announcement's time. */
  at: number;
  members: Map<string, Member>;
  /** Reads before this are too early to be the announced ones. */
  from: number;
  until: number;
  /** The member whose read confirmed the announcement, once one did. */
  confirmedBy: string | null;
}

/** A shardlet a read made likely (`p`: its confirmed precision): fetch it now, for a read before `until`. */
export interface Confirmation {
  type: string;
  /** When the announcement (the first, if repeats joined it) was made. */
  announcedAt: number;
  shardletId: string;
  target: string | null;
  p: number;
  until: number;
}

/**
 * Chosen on seeds the cache benchmark does not report: weight 1 judges a type on its first few
 * confirmed announcements (4, the outcomes' weight, kept most types at the prior and waited less).
 */
const DEFAULT_PRIOR_WEIGHT = 1;
/**
 * Steps before an announced read's predicted step from which a read confirms the announcement:
 * one step of lag jitter besides the prefetch lead. A read long before the announced one is due
 * belongs to other work (another type's announcement of the same shardlet), and confirming on it
 * fetched the rest in vain (0.01-0.02 of the prefetched bytes wasted on seeds the benchmark does
 * not report; one step took as many hits as it saved waste).
 */
export const CONFIRM_EARLY_STEPS = 2;

const pairKey = (type: string, shardletId: string) => `${type}\t${shardletId}`;

/**
 * Announcements confirmed by their first read. An event type that announces reads of several
 * shardlets often announces them together: the work the event starts reads all of them, or none
 * (the order is cancelled, the report never asked for). Then each pair's own precision (say 0.7)
 * undersells what one read tells: once the predicted reader has read one of the announced
 * shardlets, the others are all but certain, and a prefetch made then is rarely wasted, where one
 * made at the announcement is wasted whenever the work does not happen. What waiting costs is the
 * first read, which a prefetch at the announcement would have served.
 *
 * This class learns, per (type, shardlet) and per type, the chance that an announced shardlet is
 * read once another shardlet of the same announcement was read first by its predicted reader (a
 * Beta posterior decayed like `PredictionOutcomes`, prior mean the pair's own precision), and says
 * which shardlets a read confirms. A type waits for the first read unless its confirmed precision
 * has fallen under the pair's own: where a type's reads come apart (each shardlet on its own), one
 * read tells little about the others, and the prefetch is better made at the announcement. A type
 * that has never been confirmed waits too, so announcements whose reads never come cost nothing.
 * Pure: the caller passes the time.
 */
export class ConfirmedAnnouncements {
  /** One waiting announcement per type: a repeat while one waits joins it, as in `PredictionOutcomes`. */
  readonly #waiting = new Map<string, Waiting>();
  readonly #byShardlet = new Map<string, Set<string>>();
  readonly #tallies: DecayedTallies;

  constructor(opts: ConfirmedAnnouncementsOptions) {
    if (!(opts.halfLifeMs > 0)) throw new RangeError("confirmed announcements: halfLifeMs must be positive");
    this.#tallies = new DecayedTallies({ halfLifeMs: opts.halfLifeMs, priorWeight: opts.priorWeight ?? DEFAULT_PRIOR_WEIGHT });
  }

  get waiting(): number {
    return this.#waiting.size;
  }

  /** The chance that the pair's read comes once another shardlet of its announcement was read (prior mean `p`). */
  precision(type: string, shardletId: string, p: number, now: number): number {
    return this.#tallies.posterior(pairKey(type, shardletId), p, now);
  }

  /**
   * Whether an announced shardlet of `type`, with precision `p` of its own, should wait for the
   * first read of its announcement rather than be prefetched now. Judged over all the type's
   * shardlets (whether its reads come together is the type's, and pooling judges it on a few times
   * more announcements); an announcement of a single shardlet has nothing to wait for.
   */
  waits(type: string, p: number, announced: number, threshold: number, now: number): boolean {
    if (announced < 2) return false;
    const pc = this.#tallies.posterior(type, p, now);
    return pc >= threshold && pc >= p;
  }

  /**
   * An event of `type` announced at `now` reads of these shardlets (by their targets) between
   * `from` and `until`. A single shardlet has nothing to confirm it and is not kept.
   */
  announce(type: string, members: ReadonlyArray<{ shardletId: string; p: number; target?: string | null | undefined }>, window: { from: number; until: number }, now: number): void {
    if (members.length < 2) return;
    let w = this.#waiting.get(type);
    if (!w) this.#waiting.set(type, (w = { type, at: now, members: new Map(), from: window.from, until: window.until, confirmedBy: null }));
    w.from = Math.min(w.from, window.from);
    w.until = Math.max(w.until, window.until);
    for (const m of members) {
      const cur = w.members.get(m.shardletId);
      if (cur) {
        cur.p = m.p;
        continue;
      }
      w.members.set(m.shardletId, { target: m.target ?? null, p: m.p, read: false });
      let set = this.#byShardlet.get(m.shardletId);
      if (!set) this.#byShardlet.set(m.shardletId, (set = new Set()));
      set.add(type);
    }
  }

  /**
   * `reader` read the shardlet. Returns the shardlets of the announcements this read confirms (the
   * first read of one of their shardlets, by its predicted reader, in time), not yet read.
   */
  read(shardletId: string, reader: string | null | undefined, now: number): Confirmation[] {
    const types = this.#byShardlet.get(shardletId);
    if (!types) return [];
    const out: Confirmation[] = [];
    for (const type of types) {
      const w = this.#waiting.get(type);
      const m = w?.members.get(shardletId);
      if (!w || !m || now < w.from || now > w.until) continue;
      // Any reader uses what a prefetch brings, but only the predicted reader confirms the announcement.
      m.read = true;
      if (w.confirmedBy !== null || (m.target !== null && m.target !== reader)) continue;
      w.confirmedBy = shardletId;
      for (const [id, o] of w.members) if (!o.read) out.push({ type, announcedAt: w.at, shardletId: id, target: o.target, p: this.precision(type, id, o.p, now), until: w.until });
    }
    return out;
  }

  /** Announcements past their time are judged: in a confirmed one, each other shardlet was read or not. */
  expire(now: number): void {
    for (const w of [...this.#waiting.values()]) {
      if (w.until >= now) continue;
      this.#waiting.delete(w.type);
      for (const [id, m] of w.members) {
        const set = this.#byShardlet.get(id);
        set?.delete(w.type);
        if (set?.size === 0) this.#byShardlet.delete(id);
        if (w.confirmedBy === null || id === w.confirmedBy) continue;
        this.#tallies.count(pairKey(w.type, id), m.read, now);
        this.#tallies.count(w.type, m.read, now);
      }
    }
    this.#tallies.prune(now);
  }
}

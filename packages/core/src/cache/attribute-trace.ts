import { createRng } from "../workload/rng.ts";
import { ZipfSampler } from "../workload/zipf.ts";
import type { CacheTraceEvent } from "./cache-sim-types.ts";
import { CORRELATED_TRACE_DEFAULTS, correlatedTrace, intIn, poisson, type CorrelatedTrace, type CorrelatedTraceOptions } from "./correlated-trace.ts";

/**
 * A correlated trace (see correlated-trace.ts) whose writes carry a `user` payload field, with
 * user sessions on top: each step some users (Zipf-popular: a few are very active, most are
 * rare) write session events of a few generic types (`login`, `view`, `search`) written by every
 * user alike, so the type tells nothing about what is read next. With `clustered`, a session
 * event is followed, `followProbability` of the time and a few steps later (the user's own lag),
 * by reads of the user's home shardlets (their data), by the user's session reader. Without it
 * the same number of reads go to shardlets drawn at random: the field carries the same values,
 * but access does not follow it. The base trace's own writes get a user drawn from 5,000 others, so the
 * field is present on every write (users of their own, each rare).
 */
export interface UserTraceOptions {
  seed: number | string;
  steps: number;
  stepMs: number;
  base?: Partial<CorrelatedTraceOptions>;
  clustered: boolean;
  users: number;
  /** Zipf exponent of users' activity. */
  userZipfS: number;
  /** Expected session events per step, over all users. */
  sessionsPerStep: number;
  /** Home shardlets per user. */
  homeShardlets: number;
  /**
   * Shardlets holding the users' data (`users/s<i>`, read only by sessions), as a stream keyed by
   * user has; 0: users' homes are drawn from the base trace's shardlets.
   */
  userShardlets: number;
  followProbability: number;
  lagSteps: readonly [number, number];
  readsPerFollow: readonly [number, number];
  partitions: number;
}

export const USER_TRACE_DEFAULTS: Omit<UserTraceOptions, "seed" | "steps" | "stepMs" | "clustered"> = {
  users: 100,
  userZipfS: 0.3,
  sessionsPerStep: 3,
  homeShardlets: 1,
  userShardlets: 128,
  followProbability: 0.7,
  lagSteps: [1, 3],
  readsPerFollow: [1, 3],
  partitions: 4,
};

const SESSION_TYPES = ["login", "view", "search"];
const OTHER_USERS = 5000;

export function userTrace(options: Partial<UserTraceOptions> & Pick<UserTraceOptions, "seed" | "steps" | "stepMs" | "clustered">): CorrelatedTrace {
  const o: UserTraceOptions = { ...USER_TRACE_DEFAULTS, ...options };
  const base = correlatedTrace({ ...o.base, seed: o.seed, steps: o.steps, stepMs: o.stepMs });
  const rng = createRng(o.seed).fork("users");
  const layout = rng.fork("layout");
  const arrivals = rng.fork("arrivals");
  const own = Array.from({ length: o.userShardlets }, (_, i) => ({ id: `users/s${i}`, tenant: -1, bytes: Math.max(1, Math.round((o.base?.medianBytes ?? CORRELATED_TRACE_DEFAULTS.medianBytes) * Math.exp((o.base?.sizeSigma ?? CORRELATED_TRACE_DEFAULTS.sizeSigma) * layout.normal()))) }));
  const shardlets = [...base.shardlets, ...own];
  const ids = (own.length > 0 ? own : base.shardlets).map((s) => s.id);
  const bytesOf = new Map(shardlets.map((s) => [s.id, s.bytes]));
  const users = Array.from({ length: o.users }, (_, u) => ({
    name: `user-${u}`,
    home: Array.from({ length: o.homeShardlets }, () => layout.pick(ids)),
    lag: intIn(layout, o.lagSteps),
    reader: `session-${u % Math.max(1, o.partitions)}`,
  }));
  const zipf = new ZipfSampler(o.users, o.userZipfS, arrivals.fork("zipf"));
  // Other writes name users of their own, many and each rare: values the sketch must keep out.
  const events: CacheTraceEvent[] = base.events.map((e) => (e.kind === "write" ? { ...e, attrs: { user: `other-${layout.int(OTHER_USERS)}` } } : e));
  const at = (step: number) => (step + arrivals.next()) * o.stepMs;
  for (let s = 0; s < o.steps; s++) {
    for (let n = poisson(arrivals, o.sessionsPerStep); n > 0; n--) {
      const u = users[zipf.sample()]!;
      events.push({ t: at(s), kind: "write", type: arrivals.pick(SESSION_TYPES), shardletId: u.home[0]!, attrs: { user: u.name } });
      if (!arrivals.chance(o.followProbability)) continue;
      const when = s + u.lag;
      if (when >= o.steps) continue;
      for (const home of u.home) {
        const id = o.clustered ? home : arrivals.pick(ids);
        for (let r = intIn(arrivals, o.readsPerFollow); r > 0; r--) events.push({ t: at(when), kind: "read", shardletId: id, bytes: bytesOf.get(id)!, target: u.reader });
      }
    }
  }
  events.sort((x, y) => x.t - y.t);
  return { ...base, events, shardlets, workingSetBytes: shardlets.reduce((sum, x) => sum + x.bytes, 0) };
}

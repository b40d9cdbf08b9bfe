import { createRng, type Rng } from "../workload/rng.ts";

/** An event of a generated stream. */
export interface StreamEvent {
  atMs: number;
  key: string;
  type: string;
  bytes: number;
}

/** A burst (or a false alarm) as generated: the truth predictors are scored against. */
export interface BurstTruth {
  key: string;
  /** When its first announcing event was sent (null: unannounced). */
  announcedAtMs: number | null;
  /** When the burst's events begin (null: a false alarm, nothing follows). */
  startMs: number | null;
  endMs: number | null;
  events: number;
}

export interface PrecursorStreamConfig {
  seed: number | string;
  durationSec: number;
  /** Keys are `<tenant>:<entity>`. */
  tenants: number;
  entitiesPerTenant: number;
  backgroundPerSec: number;
  backgroundTypes: string[];
  /** Types that arrive in clusters on new keys, like announcements, but nothing follows them. */
  decoyTypes: string[];
  decoyClusters: number;
  precursorTypes: string[];
  /** Bursts announced by a cluster of precursor events on the burst's key. */
  announced: number;
  /** Precursor clusters that no burst follows. */
  falseAlarms: number;
  /** Bursts nothing announces (the reactive path's). */
  unannounced: number;
  /** Seconds from the first precursor to the burst. */
  leadSec: [number, number];
  precursorsPerCluster: number;
  burstSec: number;
  rampSec: number;
  burstPerSec: number;
  burstTypes: string[];
  /** Short rate wobbles on one key (a few times its usual rate, far below a surge): what fools a rate model. */
  wobbles: number;
  wobblePerSec: number;
  wobbleSec: number;
  eventBytes: number;
}

export const DEFAULT_PRECURSOR_STREAM: PrecursorStreamConfig = {
  seed: 1,
  durationSec: 3_600,
  tenants: 40,
  entitiesPerTenant: 50,
  backgroundPerSec: 200,
  backgroundTypes: ["page_view", "click", "login", "cart_update"],
  decoyTypes: ["profile_update", "signup_reminder"],
  decoyClusters: 30,
  precursorTypes: ["campaign_started", "match_kickoff"],
  announced: 20,
  falseAlarms: 5,
  unannounced: 5,
  leadSec: [30, 90],
  precursorsPerCluster: 4,
  burstSec: 60,
  rampSec: 10,
  burstPerSec: 150,
  burstTypes: ["bet_placed", "order_placed"],
  wobbles: 60,
  wobblePerSec: 12,
  wobbleSec: 4,
  eventBytes: 300,
};

export interface PrecursorStream {
  events: StreamEvent[];
  bursts: BurstTruth[];
}

/** Poisson arrivals at `rate(t)` (events/s, at most `peak`) over [fromMs, toMs), by thinning. */
function arrivals(rng: Rng, fromMs: number, toMs: number, peak: number, rate: (tMs: number) => number, emit: (tMs: number) => void): number {
  let n = 0;
  for (let t = fromMs + rng.exponential(peak) * 1000; t < toMs; t += rng.exponential(peak) * 1000) {
    if (rng.next() * peak <= rate(t)) {
      emit(Math.floor(t));
      n++;
    }
  }
  return n;
}

/**
 * A stream with announced bursts, false alarms, unannounced bursts, decoy clusters and rate
 * wobbles over steady background traffic; every part has its own random sub-stream, so changing
 * one count leaves the others' events where they were.
 */
export function generatePrecursorStream(partial: Partial<PrecursorStreamConfig> = {}): PrecursorStream {
  const cfg = { ...DEFAULT_PRECURSOR_STREAM, ...partial };
  const rng = createRng(cfg.seed);
  const durationMs = cfg.durationSec * 1000;
  const events: StreamEvent[] = [];
  const bursts: BurstTruth[] = [];
  const bytes = () => Math.max(32, Math.round(cfg.eventBytes * (0.5 + rng.next())));
  const bg = rng.fork("background");
  arrivals(bg, 0, durationMs, cfg.backgroundPerSec, () => cfg.backgroundPerSec, (atMs) =>
    events.push({ atMs, key: `t${bg.int(cfg.tenants)}:u${bg.int(cfg.entitiesPerTenant)}`, type: bg.pick(cfg.backgroundTypes), bytes: bytes() }),
  );
  let fresh = 0;
  const newKey = (r: Rng) => `t${r.int(cfg.tenants)}:e${fresh++}`;
  // Bursts start after a warm-up and end before the stream does.
  const startOf = (r: Rng) => r.range(cfg.leadSec[1] * 1000 + 60_000, durationMs - cfg.burstSec * 1000 - 10_000);
  const cluster = (r: Rng, key: string, type: string, atMs: number) => {
    for (let i = 0; i < cfg.precursorsPerCluster; i++) events.push({ atMs: Math.floor(atMs + r.range(0, 5_000)), key, type, bytes: bytes() });
  };
  const burst = (r: Rng, key: string, startMs: number): number =>
    arrivals(r, startMs, startMs + cfg.burstSec * 1000, cfg.burstPerSec, (t) => cfg.burstPerSec * Math.min(1, (t - startMs) / Math.max(1, cfg.rampSec * 1000)), (atMs) =>
      events.push({ atMs, key, type: r.pick(cfg.burstTypes), bytes: bytes() }),
    );
  const ann = rng.fork("announced");
  for (let i = 0; i < cfg.announced; i++) {
    const key = newKey(ann);
    const startMs = startOf(ann);
    const announcedAtMs = Math.floor(startMs - ann.range(cfg.leadSec[0], cfg.leadSec[1]) * 1000);
    cluster(ann, key, ann.pick(cfg.precursorTypes), announcedAtMs);
    const n = burst(ann, key, startMs);
    bursts.push({ key, announcedAtMs, startMs, endMs: startMs + cfg.burstSec * 1000, events: n });
  }
  const fa = rng.fork("false-alarms");
  for (let i = 0; i < cfg.falseAlarms; i++) {
    const key = newKey(fa);
    const announcedAtMs = Math.floor(startOf(fa) - fa.range(cfg.leadSec[0], cfg.leadSec[1]) * 1000);
    cluster(fa, key, fa.pick(cfg.precursorTypes), announcedAtMs);
    bursts.push({ key, announcedAtMs, startMs: null, endMs: null, events: 0 });
  }
  const un = rng.fork("unannounced");
  for (let i = 0; i < cfg.unannounced; i++) {
    const key = newKey(un);
    const startMs = startOf(un);
    const n = burst(un, key, startMs);
    bursts.push({ key, announcedAtMs: null, startMs, endMs: startMs + cfg.burstSec * 1000, events: n });
  }
  const dc = rng.fork("decoys");
  for (let i = 0; i < cfg.decoyClusters; i++) cluster(dc, newKey(dc), dc.pick(cfg.decoyTypes), Math.floor(dc.range(0, durationMs - 10_000)));
  const wb = rng.fork("wobbles");
  for (let i = 0; i < cfg.wobbles; i++) {
    const key = `t${wb.int(cfg.tenants)}:u${wb.int(cfg.entitiesPerTenant)}`;
    const from = wb.range(0, durationMs - cfg.wobbleSec * 1000);
    arrivals(wb, from, from + cfg.wobbleSec * 1000, cfg.wobblePerSec, () => cfg.wobblePerSec, (atMs) =>
      events.push({ atMs, key, type: wb.pick(cfg.backgroundTypes), bytes: bytes() }),
    );
  }
  events.sort((a, b) => a.atMs - b.atMs);
  return { events, bursts };
}

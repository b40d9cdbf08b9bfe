import { keyHash } from "../hash.ts";
import type { HealthScore } from "./health.ts";
import type { EffectiveProfileSettings } from "./settings.ts";
import type { ProfileSummary } from "./profile-summary.ts";

/**
 * The orchestrator's decision (seed 004's Orchestrator Module) for one stream: for every shardlet
 * whose health is below the threshold, the fix its diagnosis calls for, or a note saying why there
 * is none. Pure: the worker job gathers the inputs and hands the result to the same approval and
 * migration machinery as the analyzer's proposals.
 */
export interface OrchestratorShardlet {
  id: string;
  hostId: string;
  lo: number;
  hi: number;
  sizeBytes: number;
  /** Stored events (what a migration copies, row by row). */
  eventCount: number;
  health: HealthScore;
  profile: ProfileSummary | null;
}

export interface OrchestratorHost {
  id: string;
  active: boolean;
  health: HealthScore;
  /** Share of the cluster's recent writes. */
  writeShare: number;
}

export interface OrchestratorInput {
  settings: Pick<EffectiveProfileSettings, "healthThreshold" | "migrationWindowSec" | "maxShards">;
  minShardletWidth: number;
  /** Live shardlets of the stream. */
  shardlets: readonly OrchestratorShardlet[];
  hosts: readonly OrchestratorHost[];
  /** Rows per second a migration copies (the migration settings' copy budget). */
  copyRowsPerSec: number;
  /** Shardlets already being split, merged or moved, or with an open proposal. */
  busy: ReadonlySet<string>;
}

export type OrchestratorAction =
  | { kind: "split"; shardletId: string; hostId: string; splitAt: number; reason: string; whyNot: string[]; score: number }
  | {
      kind: "migrate";
      shardletId: string;
      sourceHostId: string;
      destHostId: string;
      neighbourId: string;
      bytesToMove: number;
      estimatedSec: number;
      reason: string;
      whyNot: string[];
      score: number;
    }
  | { kind: "note"; shardletId: string; hostId: string; message: string; recommendation: string | null; score: number };

/** A key holding at least this share of a shardlet's sampled writes is "a hot key", not a hot range. */
export const HOT_KEY_SHARE = 0.5;

const pct = (x: number) => `${Math.round(x * 100)}%`;

export function planOrchestration(input: OrchestratorInput): OrchestratorAction[] {
  const { settings } = input;
  const minW = Math.max(1, Math.floor(input.minShardletWidth));
  const hosts = new Map(input.hosts.map((h) => [h.id, h]));
  const ordered = [...input.shardlets].sort((a, b) => a.lo - b.lo);
  const sick = [...ordered].filter((s) => s.health.score < settings.healthThreshold).sort((a, b) => a.health.score - b.health.score);
  let live = ordered.length;
  const out: OrchestratorAction[] = [];
  const destUsed = new Set<string>();

  for (const s of sick) {
    const weakest = s.health.weakest ?? "load";
    const score = s.health.score;
    const diagnosis = s.health.components.find((c) => c.name === weakest)?.detail ?? weakest;
    const head = `health ${score.toFixed(2)} < ${settings.healthThreshold} (${weakest.replace("_", " ")}: ${diagnosis})`;
    if (input.busy.has(s.id)) {
      out.push({ kind: "note", shardletId: s.id, hostId: s.hostId, message: `${head}; already being split, merged or moved, or waiting for a decision`, recommendation: null, score });
      continue;
    }
    const top = s.profile?.topKeys[0];
    if (top && s.profile!.topKeyShare >= HOT_KEY_SHARE && weakest !== "size_growth") {
      const h = keyHash(top.key);
      const lo = Math.max(s.lo, Math.min(h, s.hi - minW));
      out.push({
        kind: "note",
        shardletId: s.id,
        hostId: s.hostId,
        message: `${head}; cannot split a single key: "${top.key.slice(0, 80)}" takes ${pct(s.profile!.topKeyShare)} of the sampled writes, and any split leaves it whole on one side`,
        recommendation:
          `salt the key (append a suffix such as #0..#7 chosen per event, and read the salted keys back together) to spread it over ${Math.max(2, Math.ceil(s.profile!.topKeyShare / 0.25))} or more shardlets, ` +
          `or give it a dedicated shardlet of the minimum width (${minW} hashes) at [${lo}, ${lo + minW}) so its neighbours stop sharing its load`,
        score,
      });
      continue;
    }

    const host = hosts.get(s.hostId);
    const move = findMove(s, ordered, hosts, input, destUsed);
    const hostCrowded = !!host && host.health.weakest === "balance" && host.health.score < settings.healthThreshold;
    // A crowded host gains nothing from a split (both halves stay on it): move first there.
    if (hostCrowded && move.ok) {
      destUsed.add(move.dest.id);
      out.push(migrateAction(s, move, head, ["split: both halves would stay on the crowded host"], score));
      continue;
    }
    const splitProblem =
      live + 1 > settings.maxShards
        ? `split: the stream is at max_shards (${settings.maxShards} live shardlets)`
        : s.hi - s.lo < 2 * minW
          ? `split: the range is narrower than twice the minimum width (${minW})`
          : null;
    if (!splitProblem) {
      const median = s.profile?.keyMedianPosition ?? 0.5;
      const raw = s.lo + Math.round(median * (s.hi - s.lo));
      const splitAt = Math.min(s.hi - minW, Math.max(s.lo + minW, raw));
      live++;
      out.push({
        kind: "split",
        shardletId: s.id,
        hostId: s.hostId,
        splitAt,
        reason: `${head}; split at the profiled median of the written keys (hash ${splitAt}, ${pct(median)} into the range) so each half takes about half the load`,
        whyNot: [move.ok ? "move: the whole hot range would stay on one shardlet, only on another host" : `move: ${move.why}`],
        score,
      });
      continue;
    }
    if (move.ok) {
      destUsed.add(move.dest.id);
      out.push(migrateAction(s, move, head, [splitProblem], score));
      continue;
    }
    out.push({ kind: "note", shardletId: s.id, hostId: s.hostId, message: `${head}; nothing proposed: ${splitProblem}; move: ${move.why}`, recommendation: null, score });
  }
  return out;
}

type Move =
  | { ok: true; dest: OrchestratorHost; neighbour: OrchestratorShardlet; estimatedSec: number }
  | { ok: false; why: string };

/** An adjacent shardlet on another active host that is healthy and less loaded, reachable within the migration window. */
function findMove(
  s: OrchestratorShardlet,
  ordered: readonly OrchestratorShardlet[],
  hosts: ReadonlyMap<string, OrchestratorHost>,
  input: OrchestratorInput,
  destUsed: ReadonlySet<string>,
): Move {
  const own = hosts.get(s.hostId);
  const neighbours = ordered.filter((n) => n.id !== s.id && (n.hi === s.lo || n.lo === s.hi));
  const candidates = neighbours
    .filter((n) => n.hostId !== s.hostId)
    .map((n) => ({ n, h: hosts.get(n.hostId) }))
    .filter((c): c is { n: OrchestratorShardlet; h: OrchestratorHost } => !!c.h && c.h.active && !destUsed.has(c.h.id))
    .filter((c) => c.h.health.score >= input.settings.healthThreshold && c.h.writeShare < (own?.writeShare ?? 1))
    .sort((a, b) => a.h.writeShare - b.h.writeShare || b.h.health.score - a.h.health.score);
  const best = candidates[0];
  if (!best) {
    return {
      ok: false,
      why:
        neighbours.length === 0
          ? "no adjacent shardlet"
          : neighbours.every((n) => n.hostId === s.hostId)
            ? "every adjacent range is on the same host"
            : "no adjacent range is on a healthy host with more headroom",
    };
  }
  const estimatedSec = input.copyRowsPerSec > 0 ? s.eventCount / input.copyRowsPerSec : Number.POSITIVE_INFINITY;
  if (estimatedSec > input.settings.migrationWindowSec) {
    return { ok: false, why: `copying ${s.eventCount} events takes about ${Math.round(estimatedSec)} s, past the migration window of ${input.settings.migrationWindowSec} s` };
  }
  return { ok: true, dest: best.h, neighbour: best.n, estimatedSec };
}

function migrateAction(s: OrchestratorShardlet, move: Extract<Move, { ok: true }>, head: string, whyNot: string[], score: number): OrchestratorAction {
  return {
    kind: "migrate",
    shardletId: s.id,
    sourceHostId: s.hostId,
    destHostId: move.dest.id,
    neighbourId: move.neighbour.id,
    bytesToMove: s.sizeBytes,
    estimatedSec: move.estimatedSec,
    reason: `${head}; move the range to ${move.dest.id}, which holds the adjacent shardlet ${move.neighbour.id} and has headroom (${pct(move.dest.writeShare)} of writes, health ${move.dest.health.score.toFixed(2)}); about ${Math.ceil(move.estimatedSec)} s to copy`,
    whyNot,
    score,
  };
}

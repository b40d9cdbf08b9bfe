import { PLACEMENT_ARMS, redactSecrets, type PlacementArm } from "@shardcast/core";
import { listHostNames, listShardlets, listStreamNames, type ControlDb, type HostPool, type ShardletInfo } from "@shardcast/db";
import { readPlacementState, type Logger, type PlacementState } from "@shardcast/runtime";
import type { RedisClient } from "../context.ts";
import type { PlacementView } from "../routers/cache/schemas.ts";
import { shardletRanges } from "./shardlet-ranges.ts";
import { streamFor } from "./consumer-views.ts";
import { placementSettings } from "./placement-settings.ts";

/**
 * The arms `placement.run` chooses between (replicate makes a read replica of a hot shardlet on
 * another host, move migrates a hot shardlet off a host serving far more reads than the rest,
 * cache-pin pins a shardlet's entries in the edges' caches). Every arm the bandit knows is acted on
 * now; the set stays so the console can tell should an arm be added before the job pulls it.
 */
const ACTED_ON: ReadonlySet<PlacementArm> = new Set<PlacementArm>(["replicate", "cache-pin", "move", "archive", "leave"]);
const DECISIONS_SHOWN = 50;
const ARCHIVED_SHOWN = 100;

export interface PlacementViewDeps {
  db: ControlDb;
  // Only `get`: a caller (a test) may hand in hosts that fail.
  hosts: Pick<HostPool, "get">;
  redis: RedisClient;
  prefix: string;
  log: Logger;
}

type Unreachable = PlacementView["unreachable"][number];
type Totals = PlacementView["totals"][number];

const failureText = (err: unknown) => (err instanceof Error ? redactSecrets(err.message) : "host did not answer");

/**
 * What each storage host holds in its archive for the shardlets it stores. A host that fails is
 * asked nothing more (its other streams would wait for the same timeout) and is reported instead,
 * so one host down leaves the rest of the view intact.
 */
async function scanArchives(deps: PlacementViewDeps, shardlets: readonly ShardletInfo[], streamName: ReadonlyMap<string, string>, hostName: ReadonlyMap<string, string>) {
  const byHost = new Map<string, Map<string, ShardletInfo[]>>();
  for (const s of shardlets) {
    const streams = byHost.get(s.hostId) ?? new Map<string, ShardletInfo[]>();
    streams.set(s.streamId, [...(streams.get(s.streamId) ?? []), s]);
    byHost.set(s.hostId, streams);
  }
  const archived: PlacementView["archived"] = [];
  const totals = new Map<string, Totals>();
  const unreachable: Unreachable[] = [];
  await Promise.all(
    [...byHost].map(async ([hostId, streams]) => {
      const host = hostName.get(hostId) ?? hostId;
      let failed: string | null = null;
      for (const [streamId, list] of streams) {
        const name = streamName.get(streamId) ?? streamId;
        const t = totals.get(streamId) ?? { streamId, streamName: name, batches: 0, rawBytes: 0, storedBytes: 0, complete: true };
        totals.set(streamId, t);
        if (failed !== null) {
          t.complete = false;
          continue;
        }
        try {
          const driver = await deps.hosts.get(hostId);
          const [ranges, sums] = await Promise.all([driver.archivedInRanges(streamId, list), driver.archiveTotals(streamId)]);
          t.batches += sums.batches;
          t.rawBytes += sums.rawBytes;
          t.storedBytes += sums.storedBytes;
          for (const [i, s] of list.entries()) {
            const a = ranges[i];
            if (!a || a.events <= 0) continue;
            archived.push({ streamId, streamName: name, shardletId: s.id, range: { lo: s.lo, hi: s.hi }, hostId, hostName: host, events: a.events, bytes: a.bytes, maxSeq: a.maxSeq });
          }
        } catch (err) {
          failed = failureText(err);
          t.complete = false;
          deps.log.warn("placement view: archive stats read failed", { hostId, error: err });
        }
      }
      if (failed !== null) unreachable.push({ hostId, hostName: host, message: failed });
    }),
  );
  return {
    archived: archived.sort((a, b) => b.bytes - a.bytes || a.shardletId.localeCompare(b.shardletId)),
    totals: [...totals.values()].filter((t) => t.batches > 0 || !t.complete).sort((a, b) => a.streamName.localeCompare(b.streamName)),
    unreachable: unreachable.sort((a, b) => a.hostName.localeCompare(b.hostName)),
  };
}

function armValues(state: PlacementState): PlacementView["contexts"] {
  return state.bandit.contexts().map((context) => {
    const values = state.bandit.values(context);
    return { context, arms: PLACEMENT_ARMS.map((arm) => ({ arm, ...values[arm], available: ACTED_ON.has(arm) })) };
  });
}

async function decisions(db: ControlDb, state: PlacementState, streamId: string | null, streamName: ReadonlyMap<string, string>): Promise<PlacementView["decisions"]> {
  const shown = state.recent.filter((d) => streamId === null || d.streamId === streamId).slice(0, DECISIONS_SHOWN);
  const pending = new Set(state.pending.map((p) => `${p.shardletId}\t${p.at}`));
  const ranges = await shardletRanges(db, shown.map((d) => d.shardletId));
  return shown.map((d) => ({
    ...d,
    at: new Date(d.at),
    streamName: streamName.get(d.streamId) ?? null,
    range: ranges.get(d.shardletId) ?? null,
    rewardState:
      d.reward !== null
        ? "measured"
        : d.arm === "cache-pin"
          ? pinRewardState(state, d)
          : d.arm === "move"
            ? moveRewardState(state, d)
            : d.arm !== "archive"
              ? "none"
              : pending.has(`${d.shardletId}\t${d.at}`)
                ? "pending"
                : "unmeasured",
  }));
}

/** A move is measured once its migration is done and settled; one whose migration ended otherwise never is. */
function moveRewardState(state: PlacementState, d: { shardletId: string; at: number }): "pending" | "unmeasured" {
  return Object.values(state.moves).some((m) => m.shardletId === d.shardletId && m.at === d.at) ? "pending" : "unmeasured";
}

/** A pin is measured once its shardlet is read while pinned; one unpinned before that never is. */
function pinRewardState(state: PlacementState, d: { shardletId: string; at: number }): "pending" | "unmeasured" {
  return state.pins[d.shardletId]?.since === d.at ? "pending" : "unmeasured";
}

/**
 * The cold archive and the placement job that fills it: the settings, the bandit's arm values per
 * context, its latest decisions with their rewards, and what every host holds archived (of one
 * stream when asked), read from the hosts themselves. Losing the job's state in Redis loses the
 * bandit's learning, not the archive: the archive half of the view stands on its own.
 */
export async function placementView(deps: PlacementViewDeps, q: { stream?: string; nowMs: number }): Promise<PlacementView> {
  const stream = q.stream ? await streamFor(deps.db, q.stream) : null;
  const [{ settings }, names, hosts, shardlets] = await Promise.all([
    placementSettings.get(deps.db),
    listStreamNames(deps.db),
    listHostNames(deps.db),
    listShardlets(deps.db, stream ? { streamId: stream.id } : {}),
  ]);
  const streamName = new Map(names.map((n) => [n.id, n.name]));
  let state: PlacementState | null = null;
  let stateError: string | null = null;
  try {
    state = await readPlacementState(deps.redis, deps.prefix, settings.exploration);
  } catch (err) {
    stateError = `the placement job's state could not be read: ${failureText(err)}`;
    deps.log.warn("placement view: state unreadable", { error: err });
  }
  const ofStream = new Set(shardlets.map((s) => s.id));
  const scan = await scanArchives(deps, shardlets, streamName, new Map(hosts.map((h) => [h.id, h.name])));
  return {
    at: new Date(q.nowMs),
    stream,
    settings,
    lastRunAt: state?.lastRunAt != null ? new Date(state.lastRunAt) : null,
    stateError,
    pending: state?.pending.filter((p) => stream === null || ofStream.has(p.shardletId)).length ?? 0,
    contexts: state ? armValues(state) : [],
    decisions: state ? await decisions(deps.db, state, stream?.id ?? null, streamName) : [],
    archived: scan.archived.slice(0, ARCHIVED_SHOWN),
    archivedShardlets: scan.archived.length,
    archivedEvents: scan.archived.reduce((n, a) => n + a.events, 0),
    totals: scan.totals,
    unreachable: scan.unreachable,
  };
}

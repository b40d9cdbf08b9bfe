import { createRng, type ShardletRoute } from "@shardcast/core";
import { analyzeReplicaEvents, createReplica, HostDriver, readReplicaRanges } from "@shardcast/db";
import { createTestHostDb, fillReplica } from "@shardcast/db/testing";
import { createLogger } from "@shardcast/runtime";
import { startTcpProxy } from "@shardcast/runtime/testing/tcp-proxy";
import { DEFAULT_REPLICA_ROUTING, ReplicaHints, type ReplicaRoutingPolicy } from "../../../apps/edge/src/consumers/replica-routing.ts";
import { RoutingCache } from "../../../apps/edge/src/routing-cache.ts";
import { median, percentile, type Suite } from "../harness.ts";
import { writeRecords } from "../support/host-records.ts";
import { readPages, windowShares, type ReadSample } from "../support/routed-readers.ts";

const STREAM = "bench-routing-latency";
const REPLICAS = ["r1", "r2", "r3"] as const;
/** The replica whose host's replies the proxy holds back. */
const SLOW = "r3";
const DELAY_MS = 30;
const LIMIT = 100;
const READERS = 4;
const THINK_MS = 10;
/** Windows the slow replica's share is followed in after the slowdown and after the recovery. */
const WINDOW_MS = 250;
const STEP_MS = 25;

interface PhaseResult {
  p50: number;
  p99: number;
  slowShare: number;
  /** Seconds from the slowdown to the end of the first window in which the slow replica served under 10% of the reads. */
  avoidS: number;
  /** Seconds from the recovery to the end of the first window in which it served at least half its fair share. */
  returnS: number;
}

/**
 * Latency-aware replica routing against round-robin on real hosts: a shardlet on one host
 * database with three read replicas on three others (all on one PostgreSQL server), each behind a
 * TCP proxy, one of which holds its replies back `DELAY_MS` per round trip once the phase slows
 * it down. Readers read pages at fixed positions through the edge's own `RangeReader` and
 * `ReplicaHints`, each policy in phases of its own, alternated (latency first in even repeats,
 * round-robin first in odd ones) so the machine's drift falls on both. Reports the read p99 and
 * p50 while the replica is slow, their ratios (median over repeats of each repeat's ratio), and
 * for the latency policy how soon the slow replica's share fell under 10% and how soon after the
 * delay was lifted it got half its fair share back.
 */
export const routingLatencySuite: Suite = {
  name: "routing-latency",
  description: "latency-aware replica routing vs round-robin on real hosts, one of three replicas slowed mid-run by a proxy",
  async run({ quick, log }) {
    const events = quick ? 5_000 : 20_000;
    const repeats = quick ? 2 : 5;
    const warmMs = quick ? 2_000 : 3_000;
    const slowMs = quick ? 8_000 : 15_000;
    const recoverMs = quick ? 10_000 : 12_000;
    const dbs = await Promise.all([0, 1, 2, 3].map(() => createTestHostDb()));
    // Every target is reached through a proxy of its own, so the hop through this process's event
    // loop costs each the same; only the slow replica's is ever told to hold replies back.
    const proxies = await Promise.all(dbs.map((d) => startTcpProxy(d.dsn, 5432)));
    const slowProxy = proxies[REPLICAS.indexOf(SLOW) + 1]!;
    const source = new HostDriver(proxies[0]!.url, { poolSize: READERS });
    const replicaDrivers = new Map(REPLICAS.map((id, i) => [id as string, new HostDriver(proxies[i + 1]!.url, { poolSize: READERS })]));
    try {
      await writeRecords(source, { streamId: STREAM, shardletId: "s", events, seed: "routing-latency" });
      const range = { streamId: STREAM, lo: 0, hi: 2 ** 32 };
      for (const [replicaId, driver] of replicaDrivers) {
        await createReplica(driver, { replicaId, ...range });
        await fillReplica(source, driver, { replicaId, ...range, shardletId: "s", upToSeq: events });
        await analyzeReplicaEvents(driver);
      }
      log(`wrote ${events.toLocaleString("en-US")} events and three replicas of them`);
      const route: ShardletRoute = {
        ...range,
        id: "s",
        shardId: "sh",
        hostId: "host",
        epoch: 1,
        state: "active",
        shadowHostId: null,
        replicas: REPLICAS.map((id) => ({ id, hostId: `host-${id}`, verifiedSeq: events })),
      };
      const routing = new RoutingCache(
        {
          streamByName: () => Promise.resolve({ id: STREAM, name: STREAM, keyField: "key" }),
          routes: () => Promise.resolve([route]),
          shards: () => Promise.resolve([{ ...range, id: "sh", index: 0, homeHostId: "host" }]),
        },
        createLogger({ app: "bench-routing-latency" }, { level: "error" }),
      );
      const entry = (await routing.get(STREAM))!;
      const positions = Array.from({ length: 16 }, (_, i) => Math.floor((i * (events - 2 * LIMIT)) / 16));
      const rng = createRng("routing-latency");

      const phase = async (policy: ReplicaRoutingPolicy, repeat: number): Promise<PhaseResult> => {
        const recovers = policy === "latency";
        const hints = new ReplicaHints(Date.now, 10_000, policy === "latency" ? { ...DEFAULT_REPLICA_ROUTING, rng: rng.fork(`choices-${repeat}`) } : { policy });
        const slowAt = warmMs;
        const recoverAt = warmMs + slowMs;
        const samples = await readPages({
          entry,
          shardletId: "s",
          hints,
          readRanges: (_hostId, q) => source.readRanges(q),
          readReplica: (_hostId, q) => readReplicaRanges(replicaDrivers.get(q.replicaId)!, q),
          watermark: events,
          positions,
          limit: LIMIT,
          readers: READERS,
          thinkMs: THINK_MS,
          durationMs: recovers ? recoverAt + recoverMs : recoverAt,
          rng: rng.fork(`readers-${policy}-${repeat}`),
          at: [
            { ms: slowAt, run: () => slowProxy.delayReplies(DELAY_MS) },
            { ms: recoverAt, run: () => slowProxy.delayReplies(0) },
          ],
        });
        slowProxy.delayReplies(0);
        const slowed = (t: string) => samples.filter((x) => x.target === t && x.at >= slowAt && x.at < recoverAt).map((x) => x.ms);
        log(`  ${policy}: p50 / p99 per target while ${SLOW} is slow: ${["host", ...REPLICAS].map((t) => `${t} ${percentile(slowed(t), 50).toFixed(1)} / ${percentile(slowed(t), 99).toFixed(1)} ms`).join(", ")}`);
        if (recovers) {
          const perSecond = (from: number, to: number) =>
            windowShares(samples, SLOW, from, to, 1_000, 1_000)
              .map(([, share]) => `${Math.round(share * 100)}%`)
              .join(" ");
          log(`  ${SLOW}'s share per second from the slowdown: ${perSecond(slowAt, recoverAt)}; from the recovery: ${perSecond(recoverAt, recoverAt + recoverMs)}`);
        }
        return summarize(samples, slowAt, recoverAt, recovers ? recoverAt + recoverMs : recoverAt);
      };

      const results: Record<ReplicaRoutingPolicy, PhaseResult[]> = { latency: [], "round-robin": [] };
      for (let repeat = 0; repeat < repeats; repeat++) {
        const order: ReplicaRoutingPolicy[] = repeat % 2 === 0 ? ["latency", "round-robin"] : ["round-robin", "latency"];
        for (const policy of order) {
          const r = await phase(policy, repeat);
          results[policy].push(r);
          log(
            `repeat ${repeat + 1}/${repeats} ${policy}: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, slow replica's share ${(r.slowShare * 100).toFixed(1)}%` +
              (policy === "latency"
                ? `, under 10% after ${r.avoidS.toFixed(2)} s, ${r.returnS * 1000 >= recoverMs ? "not back within the phase" : `back after ${r.returnS.toFixed(2)} s`}`
                : ""),
          );
        }
      }
      const lat = results.latency;
      const rr = results["round-robin"];
      const of = (list: PhaseResult[], key: keyof PhaseResult) => median(list.map((r) => r[key]));
      return {
        repeats,
        delay_ms: DELAY_MS,
        readers: READERS,
        read_p99_ms_latency: of(lat, "p99"),
        read_p99_ms_round_robin: of(rr, "p99"),
        read_p99_ratio_vs_round_robin: median(lat.map((r, i) => r.p99 / rr[i]!.p99)),
        read_p50_ms_latency: of(lat, "p50"),
        read_p50_ms_round_robin: of(rr, "p50"),
        read_p50_ratio_vs_round_robin: median(lat.map((r, i) => r.p50 / rr[i]!.p50)),
        slow_replica_share_latency: of(lat, "slowShare"),
        slow_replica_share_round_robin: of(rr, "slowShare"),
        slow_replica_avoided_after_s: of(lat, "avoidS"),
        slow_replica_back_after_s: of(lat, "returnS"),
      };
    } finally {
      await Promise.all([source.close(), ...[...replicaDrivers.values()].map((d) => d.close())]);
      await Promise.all(proxies.map((p) => p.close()));
      await Promise.all(dbs.map((d) => d.drop()));
    }
  },
};

/**
 * Latency while the replica is slow (every read started from the slowdown to the recovery), and
 * when its share fell and came back. A share that never fell or came back within its window
 * counts as the whole window (a floor of the true time; the log says so for the return).
 */
function summarize(samples: readonly ReadSample[], slowAt: number, recoverAt: number, end: number): PhaseResult {
  const slowed = samples.filter((x) => x.at >= slowAt && x.at < recoverAt);
  const ms = slowed.map((x) => x.ms);
  const fair = 1 / (REPLICAS.length + 1);
  const avoided = windowShares(samples, SLOW, slowAt, recoverAt, WINDOW_MS, STEP_MS).find(([, share]) => share < 0.1);
  const back = windowShares(samples, SLOW, recoverAt, end, WINDOW_MS, STEP_MS).find(([, share]) => share >= fair / 2);
  return {
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    slowShare: slowed.filter((x) => x.target === SLOW).length / Math.max(1, slowed.length),
    avoidS: ((avoided?.[0] ?? recoverAt) - slowAt) / 1000,
    returnS: ((back?.[0] ?? end) - recoverAt) / 1000,
  };
}

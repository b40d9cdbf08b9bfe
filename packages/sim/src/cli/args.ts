import { DEFAULT_CLUSTER } from "../config.ts";
import { DEFAULT_POLICIES, POLICY_NAMES, type PolicyName } from "../compare.ts";
import { isWorkloadName, WORKLOAD_DESCRIPTIONS, WORKLOAD_NAMES, workloadParameters, type WorkloadName } from "../workload/catalog.ts";
import type { ScenarioOptions } from "../scenario.ts";

/** Command line of `npm run sim -- ...`. */
export interface SimArgs {
  /** `all`: every workload of the benchmark suite (see suite.ts), each for its own number of days. */
  all: boolean;
  quick: boolean;
  /** Seeds of `--workload all` (default: the suite's). */
  seeds: number[] | undefined;
  /** Grid-search the reactive policy's thresholds instead of comparing (see tune.ts). */
  tuneReactive: boolean;
  scenario: Omit<ScenarioOptions, "readTrace">;
  policies: PolicyName[];
  out: string | undefined;
  json: string | undefined;
  traces: string | undefined;
  quiet: boolean;
}

export class UsageError extends Error {
  override name = "UsageError";
}

/** What each workload parameter means (shown by --help). */
export const PARAM_DOCS: Record<string, string> = {
  streams: "streams (tenants) sharing the cluster",
  keysPerStream: "keys per stream",
  zipfS: "Zipf exponent of key popularity inside a stream (0 = uniform)",
  dailyAmplitude: "daily swing as a fraction of the mean, in [0, 1)",
  weeklyAmplitude: "weekly swing, in [0, 1)",
  phaseSpread: "spread of the streams' daily peaks, as a fraction of a day",
  driftRanksPerDay: "ranks the popularity ranking moves per day (a cold key reaches the top in 1/x days)",
  crowdsPerDay: "flash crowds per day after the warm-up",
  crowdHours: "mean flash crowd length in hours (each 0.5x-1.5x)",
  crowdPeak: "crowd peak as a fraction of the mean total load (each 0.75x-1.25x)",
  crowdKeys: "keys one crowd hits, all in one narrow hash window",
  crowdHashWidth: "width of that window as a fraction of the hash space",
  announcedShare: "share of crowds announced by a client hint, in [0, 1]",
  announceLeadHours: "hours before a crowd its hint is posted",
  rampFactor: "load of the growing stream at the end relative to the start",
  tenantHosts: "hosts each tenant's stream is laid out on",
  sizeSpread: "largest tenant about this many times the smallest",
  burstsPerWeek: "unannounced bursts per tenant per week (2-6 h, 1.5x-3x)",
};

export function usage(): string {
  const w = Math.max(...WORKLOAD_NAMES.map((n) => n.length));
  const params = WORKLOAD_NAMES.map((n) => {
    const p = workloadParameters(n);
    return `  ${n.padEnd(w)}  ${Object.entries(p).map(([k, v]) => `${k}=${Number(v.toPrecision(4))}`).join(" ")}`;
  });
  const c = DEFAULT_CLUSTER;
  return [
    "usage: npm run sim -- --workload <name> [--seed N] [--days D] [--out report.html] [options]",
    "",
    "Runs the policies on the same workload, seed and start layout, on a virtual clock, with the",
    "product's own planners (planLifecycle, planRebalance, analyzeLoad, planCapacity, planDrain), and",
    "prints a comparison table (violation minutes, host-hours, bytes moved, latency). Policies:",
    "  static_peak     a fixed cluster sized for the workload's peak (target utilisation), reactive",
    "                  splits and rebalancing: the cost ceiling",
    "  reactive        hosts follow the observed load (capacity planner on observed load at the",
    "                  product defaults), reactive rebalancer",
    "  reactive_tuned  the same at its best-tuned thresholds (tuned on seeds 101-102, see --tune-reactive)",
    "  predictive      capacity planner on forecasts (hosts asked for a lead of provisioning plus copy",
    "                  time ahead, drains in forecast troughs, reactive when the forecast is untrusted),",
    "                  the analyzer's splits, the reactive rebalancer as safety net",
    "  oracle          the true future for the capacity planner, splits and rebalancer",
    "  static          hashing: nothing moves, no scaling (only when asked for)",
    "",
    "  --workload <name>      workload (default diurnal), or `all` for the benchmark set (every",
    "                         workload below for a month, or the whole trace; --days is ignored):",
    ...WORKLOAD_NAMES.map((n) => `                           ${n.padEnd(w)}  ${WORKLOAD_DESCRIPTIONS[n]}`),
    "  --quick                with --workload all: one seed and 2 measured days per workload",
    "  --seeds <list>         with --workload all: comma-separated seeds (default 1,2,3,4,5)",
    "  --tune-reactive        grid-search the reactive policy's target and scale-in utilisation and",
    "                         rebalancer tolerance on the generators with seeds 101-102 (--days each)",
    "  --seed <n>             seed: keys, popularity, crowds (default 1). Same seed, same result.",
    "  --days <d>             simulated days, the warm-up included (default 29; a trace shorter",
    "                         than this is used whole: dos-traces has 21 days, nab-tweets 57)",
    "  --warmup-days <d>      days simulated but not measured (default 15: two weeks of history for",
    "                         the weekly-seasonal forecasts)",
    "  --out <file>           write a self-contained HTML report with charts",
    "  --json <file>          write the summary and every policy's metrics as JSON",
    `  --policies <list>      comma-separated subset of ${POLICY_NAMES.join(",")}`,
    `                         (default ${DEFAULT_POLICIES.join(",")})`,
    "  --min-hosts <n>        capacity planner: never fewer serving hosts (default 1)",
    "  --max-hosts <n>        capacity planner: never more paid hosts (default 3 x --hosts)",
    "  --target-util <x>      capacity planner: plan hosts for load at this utilisation (default 0.75)",
    "  --scale-in-util <x>    capacity planner: drain while the rest stay below this (default 0.65)",
    "  --forecast-quantile <q>",
    "                         capacity planner (predictive): plan for the forecast times the q-quantile",
    "                         of recent actual/forecast ratios (default 0.9; 0: the forecast itself)",
    `  --provision <s>        seconds from asking for a host until it serves (default ${c.provisionSec})`,
    "  --margin <s>           capacity planner: extra lead on top of provisioning and copy (default 600)",
    `  --hosts <n>            hosts (default ${c.hosts})`,
    `  --capacity <ev/s>      write capacity of each host, events/s (default ${c.hostCapacityEventsPerSec})`,
    "  --peak <fraction>      busiest bucket's total load as a fraction of the write capacity (default 0.8)",
    `  --tick <minutes>       step of the virtual clock and of the reactive scans (default ${c.tickMinutes})`,
    `  --event-bytes <n>      stored bytes per event (default ${c.eventBytes})`,
    `  --retention <hours>    hours of events a shardlet keeps (default ${c.retentionHours})`,
    `  --bandwidth <MiB/s>    copy speed of one migration (default ${c.migrationBytesPerSec / 1048576})`,
    `  --copy-overhead <x>    capacity a copy takes on its source and destination (default ${c.copyOverhead})`,
    `  --forecaster <kind>    predictive model per shardlet: daily_median, holt_winters or seasonal_naive (default daily_median)`,
    "  --horizon <buckets>    forecast horizon of the analyzer (default 6 hourly buckets)",
    "  --tolerance <x>        rebalancer trigger above a host's share, every policy but reactive_tuned",
    "                         (default 0.05; predictive 0.1 unless given, reactive_tuned always 0.1;",
    "                         the product's own default is 0.2)",
    "  --hysteresis <x>       rebalancer band below the trigger (default 0.025)",
    "  --host-bound <x>       analyzer: no host planned above x times the mean predicted utilisation (1.25)",
    "  --analyzer-moves <m>   predictive: which analyzer moves start: overload (off hosts forecast past",
    "                         the overload fraction), all, or none (default: forecast-driven splits only)",
    "  --lead <buckets>       predictive: the rebalancer balances the larger of current and forecast",
    "                         load over this many buckets (default 0: current load only; the oracle uses 4)",
    "  --outlook <minutes>    predictive: the rebalancer plans each host at the larger of its load and",
    "                         its last hour's rise carried on this many minutes (default 60; 0: off)",
    "  --param <key=value>    workload parameter, repeatable; per workload (defaults):",
    ...params.map((l) => `                         ${l}`),
    "                         meanings:",
    ...Object.entries(PARAM_DOCS).map(([k, v]) => `                           ${k}: ${v}`),
    "  --traces <dir>         folder holding the trace sets (default: the repository's data/traces)",
    "  --quiet                no progress lines on stderr",
    "  --help                 this text",
  ].join("\n");
}

function number(flag: string, raw: string, check: (n: number) => boolean, what: string): number {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || !check(n)) throw new UsageError(`${flag} must be ${what}, got ${JSON.stringify(raw)}`);
  return n;
}

const positive = (n: number) => n > 0;
const positiveInt = (n: number) => Number.isInteger(n) && n > 0;

/** Parses argv (without node and the script); `null` means --help. */
export function parseSimArgs(argv: readonly string[]): SimArgs | null {
  let workload: WorkloadName = "diurnal";
  let seed = 1;
  let days = 29;
  const cluster: NonNullable<ScenarioOptions["cluster"]> = {};
  const policy: NonNullable<ScenarioOptions["policy"]> = {};
  const params: Record<string, number> = {};
  let peak: number | undefined;
  let policies: PolicyName[] = [...DEFAULT_POLICIES];
  let seeds: number[] | undefined;
  let tuneReactive = false;
  const capacity: NonNullable<ScenarioOptions["capacity"]> = {};
  let warmupDays: number | undefined;
  let out: string | undefined;
  let json: string | undefined;
  let traces: string | undefined;
  let quiet = false;
  let all = false;
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) {
        if (inline === "") throw new UsageError(`${flag} needs a value`);
        return inline;
      }
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`${flag} needs a value`);
      i++;
      return next;
    };
    switch (flag) {
      case "--help":
      case "-h":
        return null;
      case "--workload": {
        const v = value();
        if (v === "all") {
          all = true;
          break;
        }
        if (!isWorkloadName(v)) throw new UsageError(`unknown workload ${JSON.stringify(v)} (one of: ${WORKLOAD_NAMES.join(", ")}, all)`);
        workload = v;
        all = false;
        break;
      }
      case "--quick":
        if (inline !== undefined) throw new UsageError("--quick takes no value");
        quick = true;
        break;
      case "--seeds": {
        const list = value().split(",").map((x) => x.trim()).filter(Boolean);
        if (list.length === 0) throw new UsageError("--seeds needs at least one seed");
        seeds = list.map((x) => number(flag, x, Number.isInteger, "a list of integers"));
        break;
      }
      case "--tune-reactive":
        if (inline !== undefined) throw new UsageError("--tune-reactive takes no value");
        tuneReactive = true;
        break;
      case "--warmup-days":
        warmupDays = number(flag, value(), (n) => n >= 0 && n <= 100, "a number of days from 0 to 100");
        break;
      case "--min-hosts":
        capacity.minHosts = number(flag, value(), (n) => positiveInt(n) && n <= 10_000, "a positive integer");
        break;
      case "--max-hosts":
        capacity.maxHosts = number(flag, value(), (n) => positiveInt(n) && n <= 10_000, "a positive integer");
        break;
      case "--target-util":
        capacity.targetUtilization = number(flag, value(), (n) => n >= 0.2 && n <= 1, "a fraction from 0.2 to 1");
        break;
      case "--scale-in-util":
        capacity.scaleInUtilization = number(flag, value(), (n) => n >= 0.1 && n <= 1, "a fraction from 0.1 to 1");
        break;
      case "--forecast-quantile":
        capacity.forecastQuantile = number(flag, value(), (n) => n >= 0 && n < 1, "a fraction from 0 to below 1");
        break;
      case "--provision":
        cluster.provisionSec = number(flag, value(), (n) => n >= 0 && n <= 86_400, "a number of seconds from 0 to 86400");
        break;
      case "--margin":
        capacity.marginSec = number(flag, value(), (n) => Number.isInteger(n) && n >= 0 && n <= 86_400, "an integer number of seconds");
        break;
      case "--seed":
        seed = number(flag, value(), Number.isInteger, "an integer");
        break;
      case "--days":
        days = number(flag, value(), (n) => n > 0 && n <= 400, "a number of days from 0 to 400");
        break;
      case "--out":
        out = value();
        break;
      case "--json":
        json = value();
        break;
      case "--traces":
        traces = value();
        break;
      case "--quiet":
        if (inline !== undefined) throw new UsageError("--quiet takes no value");
        quiet = true;
        break;
      case "--policies": {
        const list = value().split(",").map((s) => s.trim()).filter(Boolean);
        for (const p of list) if (!(POLICY_NAMES as readonly string[]).includes(p)) throw new UsageError(`unknown policy ${JSON.stringify(p)} (one of: ${POLICY_NAMES.join(", ")})`);
        if (list.length === 0) throw new UsageError("--policies needs at least one policy");
        policies = POLICY_NAMES.filter((p) => list.includes(p));
        break;
      }
      case "--hosts":
        cluster.hosts = number(flag, value(), (n) => positiveInt(n) && n <= 256, "an integer from 1 to 256");
        break;
      case "--capacity":
        cluster.hostCapacityEventsPerSec = number(flag, value(), positive, "a positive number of events/s");
        break;
      case "--peak":
        peak = number(flag, value(), (n) => n > 0 && n <= 2, "a fraction in (0, 2]");
        break;
      case "--tick":
        cluster.tickMinutes = number(flag, value(), (n) => n >= 0.5 && n <= 60, "a number of minutes from 0.5 to 60");
        break;
      case "--event-bytes":
        cluster.eventBytes = number(flag, value(), positive, "a positive number of bytes");
        break;
      case "--retention":
        cluster.retentionHours = number(flag, value(), positive, "a positive number of hours");
        break;
      case "--bandwidth":
        cluster.migrationBytesPerSec = number(flag, value(), positive, "a positive number of MiB/s") * 1_048_576;
        break;
      case "--copy-overhead":
        cluster.copyOverhead = number(flag, value(), (n) => n >= 0 && n < 1, "a fraction in [0, 1)");
        break;
      case "--forecaster": {
        const v = value();
        if (v !== "holt_winters" && v !== "seasonal_naive" && v !== "daily_median") throw new UsageError(`--forecaster must be holt_winters, seasonal_naive or daily_median, got ${JSON.stringify(v)}`);
        policy.forecaster = v;
        break;
      }
      case "--horizon":
        policy.horizonSteps = number(flag, value(), (n) => positiveInt(n) && n <= 168, "an integer from 1 to 168");
        break;
      case "--tolerance":
        policy.rebalance = { ...policy.rebalance, tolerance: number(flag, value(), positive, "a positive fraction") };
        break;
      case "--hysteresis":
        policy.rebalance = { ...policy.rebalance, hysteresis: number(flag, value(), (n) => n >= 0, "a fraction >= 0") };
        break;
      case "--host-bound":
        policy.analyzer = { ...policy.analyzer, hostLoadBound: number(flag, value(), (n) => n > 1, "a number above 1") };
        break;
      case "--analyzer-moves": {
        const v = value();
        if (v !== "overload" && v !== "all" && v !== "none") throw new UsageError(`--analyzer-moves must be overload, all or none, got ${JSON.stringify(v)}`);
        policy.analyzerMoves = v;
        break;
      }
      case "--outlook":
        policy.hostOutlook = { windowMinutes: 60, leadMinutes: number(flag, value(), (n) => n >= 0 && n <= 1440, "minutes from 0 to 1440") };
        break;
      case "--lead":
        policy.rebalanceLeadSteps = number(flag, value(), (n) => Number.isInteger(n) && n >= 0 && n <= 48, "an integer from 0 to 48");
        break;
      case "--param": {
        const v = value();
        const at = v.indexOf("=");
        if (at <= 0) throw new UsageError(`--param needs key=value, got ${JSON.stringify(v)}`);
        params[v.slice(0, at)] = number(`--param ${v.slice(0, at)}`, v.slice(at + 1), () => true, "a number");
        break;
      }
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (all && Object.keys(params).length > 0) throw new UsageError("--param applies to one workload, not to --workload all");
  const known = workloadParameters(workload);
  for (const k of Object.keys(params)) {
    if (!(k in known)) throw new UsageError(`workload ${workload} has no parameter ${k} (it has: ${Object.keys(known).join(", ")})`);
  }
  return {
    all,
    quick,
    seeds,
    tuneReactive,
    scenario: {
      workload,
      seed,
      days,
      ...(warmupDays !== undefined ? { warmupDays } : {}),
      ...(Object.keys(capacity).length > 0 || cluster.provisionSec !== undefined ? { capacity } : {}),
      ...(Object.keys(cluster).length > 0 ? { cluster } : {}),
      ...(peak !== undefined ? { peakUtilisation: peak } : {}),
      ...(Object.keys(policy).length > 0 ? { policy } : {}),
      ...(Object.keys(params).length > 0 ? { params } : {}),
    },
    policies,
    out,
    json,
    traces,
    quiet,
  };
}

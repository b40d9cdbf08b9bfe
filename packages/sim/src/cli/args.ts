import { isMoveModel, MOVE_MODELS } from "../cluster.ts";
import { DEFAULT_POLICIES, POLICY_NAMES, type PolicyName } from "../compare.ts";
import { isWorkloadName, WORKLOAD_NAMES, workloadParameters, type WorkloadName } from "../workload/catalog.ts";
import type { ScenarioOptions } from "../scenario.ts";
import { argvFlags, UsageError } from "./argv.ts";

export { PARAM_DOCS, usage } from "./usage.ts";

/** Command line of `npm run sim -- ...`. */
export interface SimArgs {
  /** `all`: every workload of the benchmark suite (see suite.ts), each for its own number of days. */
  all: boolean;
  quick: boolean;
  /** Seeds of `--workload all` (default: the suite's). */
  seeds: number[] | undefined;
  /** Grid-search the reactive policy's thresholds instead of comparing (see tune.ts). */
  tuneReactive: boolean;
  /** Tune every contest policy's knobs on data the suite never scores instead of comparing (see contest/tune.ts). */
  tuneContest: boolean;
  scenario: Omit<ScenarioOptions, "readTrace">;
  policies: PolicyName[];
  out: string | undefined;
  json: string | undefined;
  traces: string | undefined;
  quiet: boolean;
  /** Print each policy's largest violation incidents after the table. */
  incidents: boolean;
}

export { UsageError };

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
  let tuneContest = false;
  const capacity: NonNullable<ScenarioOptions["capacity"]> = {};
  let warmupDays: number | undefined;
  let out: string | undefined;
  let json: string | undefined;
  let traces: string | undefined;
  let quiet = false;
  let incidents = false;
  let all = false;
  let quick = false;
  for (const f of argvFlags(argv, ["--quick", "--tune-reactive", "--tune-contest", "--quiet", "--incidents"])) {
    const flag = f.flag;
    const value = f.value;
    switch (flag) {
      case "--help":
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
        f.noValue();
        quick = true;
        break;
      case "--seeds": {
        const list = value().split(",").map((x) => x.trim()).filter(Boolean);
        if (list.length === 0) throw new UsageError("--seeds needs at least one seed");
        seeds = list.map((x) => number(flag, x, Number.isInteger, "a list of integers"));
        break;
      }
      case "--tune-reactive":
        f.noValue();
        tuneReactive = true;
        break;
      case "--tune-contest":
        f.noValue();
        tuneContest = true;
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
        f.noValue();
        quiet = true;
        break;
      case "--incidents":
        f.noValue();
        incidents = true;
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
      case "--move-model": {
        const v = value();
        if (!isMoveModel(v)) throw new UsageError(`--move-model must be ${MOVE_MODELS.join(" or ")}, got ${JSON.stringify(v)}`);
        cluster.moveModel = v;
        break;
      }
      case "--handoff-sec":
        cluster.handoffSec = number(flag, value(), (n) => n >= 0 && n <= 3600, "a number of seconds from 0 to 3600");
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
      case "--oracle-drain-hours":
        policy.oracle = { ...policy.oracle, drainLookaheadSec: number(flag, value(), (n) => n >= 0 && n <= 168, "hours from 0 to 168") * 3600 };
        break;
      case "--param": {
        const v = value();
        const at = v.indexOf("=");
        if (at <= 0) throw new UsageError(`--param needs key=value, got ${JSON.stringify(v)}`);
        params[v.slice(0, at)] = number(`--param ${v.slice(0, at)}`, v.slice(at + 1), () => true, "a number");
        break;
      }
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(f.arg)}`);
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
    tuneContest,
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
    incidents,
  };
}

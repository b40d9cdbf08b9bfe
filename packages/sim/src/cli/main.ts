/**
 * `npm run sim -- --workload <name> --seed N --days D --out report.html`: runs the policy
 * comparison, prints the table, and writes the HTML report and JSON when asked. Progress goes to
 * stderr, the table to stdout.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { compare, type Comparison } from "../compare.ts";
import { costFloors, runSuite, suiteMetrics, type SeedRun } from "../suite.ts";
import { tuneReactive } from "../tune.ts";
import { contestTuningSamples } from "../contest/samples.ts";
import { tuneContest } from "../contest/tune.ts";
import { renderReport } from "../report/html.ts";
import { incidentsText } from "../report/incidents.ts";
import { comparisonTable } from "../report/table.ts";
import { scenario } from "../scenario.ts";
import { parseSimArgs, usage, UsageError, type SimArgs } from "./args.ts";
import { comparisonJson, traceReader } from "./io.ts";

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseSimArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`sim: ${err.message}\nrun with --help for usage\n`);
    return 2;
  }
  if (args === null) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const log = (line: string) => {
    if (!args.quiet) process.stderr.write(`[sim] ${line}\n`);
  };
  const started = performance.now();
  const command = `npm run sim -- ${argv.join(" ")}`.trim();
  if (args.tuneReactive) {
    const t = tuneReactive({ days: args.scenario.days, log });
    for (const r of t.results) {
      const s = r.setting;
      process.stdout.write(`target ${s.targetUtilization} scale-in ${s.scaleInUtilization} tolerance ${s.tolerance}: ${r.violationMinutes.toFixed(0)} violation minutes, ${r.hostHours.toFixed(0)} host-hours\n`);
    }
    process.stdout.write(`predictive on the same runs: ${t.predictiveViolationMinutes.toFixed(0)} violation minutes, ${t.predictiveHostHours.toFixed(0)} host-hours\n`);
    process.stdout.write(t.best ? `best at no more host-hours: ${JSON.stringify(t.best.setting)}\n` : "no setting ran on as few host-hours as predictive\n");
    return 0;
  }
  if (args.tuneContest) {
    const t = tuneContest({ samples: contestTuningSamples(), readTrace: traceReader(args.traces), log });
    for (const [p, r] of Object.entries(t.policies)) {
      for (const s of r.scores) process.stdout.write(`${p} ${JSON.stringify(s.knobs)}: ${s.violationMinutes.toFixed(1)} violation minutes, ${s.hostHours.toFixed(0)} host-hours\n`);
      process.stdout.write(`${p}: best ${JSON.stringify(r.best.knobs)} (${r.evaluations} evaluations)\n`);
    }
    return 0;
  }
  if (args.all) {
    const { cluster, policy, peakUtilisation, capacity, warmupDays } = args.scenario;
    const suite = runSuite({
      quick: args.quick,
      readTrace: traceReader(args.traces),
      log,
      ...(args.seeds ? { seeds: args.seeds } : {}),
      policies: args.policies,
      overrides: {
        ...(cluster ? { cluster } : {}),
        ...(policy ? { policy } : {}),
        ...(peakUtilisation !== undefined ? { peakUtilisation } : {}),
        ...(capacity ? { capacity } : {}),
        ...(warmupDays !== undefined ? { warmupDays } : {}),
      },
    });
    for (const c of suite.comparisons) process.stdout.write(`\n${comparisonTable(c)}\n${args.incidents ? `${incidentsText(c)}\n` : ""}`);
    const h = suite.headline;
    process.stdout.write(
      `\npooled over ${suite.seeds.length} runs: violation minutes static_peak ${h.violation_minutes_static_peak.toFixed(0)}, reactive ${h.violation_minutes_reactive.toFixed(0)}, ` +
        `reactive_tuned ${h.violation_minutes_reactive_tuned.toFixed(0)}, predictive ${h.violation_minutes_predictive.toFixed(0)}, oracle ${h.violation_minutes_oracle.toFixed(0)}; ` +
        `reduction vs reactive_tuned ${(h.violation_reduction_vs_reactive * 100).toFixed(1)}% (vs reactive ${(h.violation_reduction_vs_reactive_default * 100).toFixed(1)}%), ` +
        `host-hours vs reactive_tuned ${h.host_hours_ratio_vs_reactive.toFixed(3)}, vs static_peak ${h.host_hours_ratio_vs_static_peak.toFixed(3)}, ` +
        `bytes moved ratio ${h.bytes_moved_ratio_vs_reactive.toFixed(2)}, worst p99 max/mean ${h.max_mean_p99_predictive.toFixed(3)}\n`,
    );
    const hours: Record<string, number> = {};
    for (const r of suite.seeds) for (const [p, t] of Object.entries(r.policies)) hours[p] = (hours[p] ?? 0) + t.hostHours;
    const sum = (k: "lowerBoundHostHours" | "trackingHostHours") => suite.seeds.reduce((a, r) => a + r[k], 0);
    process.stdout.write(`${floorLine({ lowerBoundHostHours: sum("lowerBoundHostHours"), trackingHostHours: sum("trackingHostHours") }, hours)}\n`);
    await writeOutputs(args, command, log, suite.comparisons, () => ({ headline: suite.headline, metrics: suiteMetrics(suite), workloads: suite.comparisons.map((c) => comparisonJson(c, command)) }));
    log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  }
  const { workload, config } = scenario({ ...args.scenario, readTrace: traceReader(args.traces) });
  log(`${workload.name}: ${workload.buckets} buckets, ${workload.keyHashes.length} keys, ${config.cluster.hosts} hosts (built in ${Math.round(performance.now() - started)} ms)`);
  let lastPct = -1;
  const result = compare(workload, config, {
    policies: args.policies,
    onProgress: (policy, f) => {
      const pct = Math.floor(f * 4) * 25;
      if (pct !== lastPct && pct > 0) log(`${policy}: ${pct}%`);
      lastPct = pct === 100 ? -1 : pct;
    },
  });
  for (const r of result.runs) log(`${r.policy}: ${(r.wallMs / 1000).toFixed(1)} s, ${r.metrics.shardletsMax} shardlets at most`);
  process.stdout.write(`\n${comparisonTable(result)}\n`);
  process.stdout.write(`${floorLine(costFloors(workload, config), Object.fromEntries(result.runs.map((r) => [r.policy, r.metrics.hostHours])))}\n`);
  if (args.incidents) process.stdout.write(`\n${incidentsText(result)}\n`);
  await writeOutputs(args, command, log, [result], () => comparisonJson(result, command));
  log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

/** The cost floor and perfect tracking (see `costFloors`), against static peak and every policy's host-hours. */
function floorLine(f: Pick<SeedRun, "lowerBoundHostHours" | "trackingHostHours">, hours: Record<string, number>): string {
  const staticPeak = hours.static_peak;
  const ofPeak = (h: number) => (staticPeak !== undefined && staticPeak > 0 ? ` (${(h / staticPeak).toFixed(3)} of static_peak)` : "");
  const over = Object.entries(hours).map(([p, h]) => `${p} ${(h / f.lowerBoundHostHours).toFixed(2)}x`);
  return (
    `host-hours floor (hosts filled to capacity, no provisioning or copy time) ${f.lowerBoundHostHours.toFixed(0)}${ofPeak(f.lowerBoundHostHours)}; ` +
    `following the load exactly at the tuned target utilisation ${f.trackingHostHours.toFixed(0)}${ofPeak(f.trackingHostHours)}; host-hours over the floor: ${over.join(", ")}`
  );
}

async function writeOutputs(args: SimArgs, command: string, log: (line: string) => void, comparisons: Comparison[], json: () => unknown): Promise<void> {
  if (args.out !== undefined) {
    const file = resolve(args.out);
    await mkdir(dirname(file), { recursive: true });
    const title = comparisons.length === 1 ? `Shardcast simulator: ${comparisons[0]!.workload.name}` : "Shardcast simulator: static, reactive, predictive and oracle placement";
    await writeFile(file, renderReport(comparisons, { title, command, intro: REPORT_INTRO }));
    log(`wrote ${args.out}`);
  }
  if (args.json !== undefined) {
    const file = resolve(args.json);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(json(), null, 2)}\n`);
    log(`wrote ${args.json}`);
  }
}

const REPORT_INTRO =
  "Each workload runs five policies on the same simulated hosts, seed, start layout and virtual clock, with the product's own " +
  "planners making every decision: static_peak (a fixed cluster sized for the peak, reactive splits and rebalancing); reactive " +
  "(hosts follow the observed load at the product's capacity defaults); reactive_tuned (the same at its best-tuned thresholds); " +
  "predictive (the capacity planner on forecasts, drains in forecast troughs, the analyzer, the reactive rebalancer as safety " +
  "net); oracle (the true future). Violation minutes are minutes in which some host carried more than its write capacity; " +
  "host-hours count every host from its request to its removal. With hand-off moves (the default) a move seals the shardlet " +
  "on its host and opens its successor on the destination: the load moves in seconds, nothing is copied, and the sealed " +
  "history stays on the source until retention drops it (a drained host's is copied off before the host goes). With copy " +
  "moves, migrations shadow the moving shardlet's writes to the destination and take a share of both hosts while they " +
  "copy, verify and clean up (calibrated on the migration benchmark).";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`sim: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

/**
 * Benchmark entry point: `npm run bench -- --suite <name> [--quick] [--json <file>]`.
 * Progress goes to stderr, the metrics table to stdout, and with --json the flat object of
 * numbers to a file.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseArgs, usage, UsageError } from "./args.ts";
import { checkMetrics, formatTable } from "./harness.ts";
import { findSuite, SUITES } from "./suites/index.ts";

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), SUITES.map((s) => s.name));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bench: ${err.message}\nrun with --help for usage\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${usage(SUITES)}\n`);
    return 0;
  }
  const suite = findSuite(args.suite)!;
  const log = (line: string) => process.stderr.write(`[${suite.name}] ${line}\n`);
  log(`${suite.description}${args.quick ? " (quick)" : ""}`);
  const started = Date.now();
  const metrics = await suite.run({ quick: args.quick, log });
  checkMetrics(suite.name, metrics);
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.stdout.write(`\n${suite.name}${args.quick ? " (quick)" : ""}\n${formatTable(metrics)}\n`);
  if (args.json !== undefined) {
    const file = resolve(args.json);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(metrics, null, 2)}\n`);
    log(`wrote ${args.json}`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);

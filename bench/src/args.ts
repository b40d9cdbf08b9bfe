/** Command-line parsing for `npm run bench -- --suite <name> [--quick] [--json <file>]`. */
import { argvFlags, UsageError } from "@shardcast/sim/cli/argv";

export { UsageError };

export type BenchArgs = { help: true } | { help: false; suite: string; quick: boolean; json: string | undefined };

export function usage(suites: ReadonlyArray<{ name: string; description: string }>): string {
  const width = Math.max(...suites.map((s) => s.name.length));
  return [
    "usage: npm run bench -- --suite <name> [--quick] [--json <file>]",
    "",
    "  --suite <name>  suite to run (required)",
    "  --quick         fewer, shorter runs (noisier figures)",
    "  --json <file>   also write the metrics as a flat JSON object of numbers",
    "  --help          show this help",
    "",
    "suites:",
    ...suites.map((s) => `  ${s.name.padEnd(width)}  ${s.description}`),
  ].join("\n");
}

/** Parses argv (without node and the script). Throws `UsageError` with a one-line reason. */
export function parseArgs(argv: readonly string[], suiteNames: readonly string[]): BenchArgs {
  let suite: string | undefined;
  let json: string | undefined;
  let quick = false;
  for (const f of argvFlags(argv, ["--quick"])) {
    switch (f.flag) {
      case "--help":
        return { help: true };
      case "--suite":
        suite = f.value();
        break;
      case "--json":
        json = f.value();
        break;
      case "--quick":
        f.noValue();
        quick = true;
        break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(f.arg)}`);
    }
  }
  if (suite === undefined) throw new UsageError(`--suite is required (one of: ${suiteNames.join(", ")})`);
  if (!suiteNames.includes(suite)) {
    throw new UsageError(`unknown suite ${JSON.stringify(suite)} (available: ${suiteNames.join(", ")})`);
  }
  return { help: false, suite, quick, json };
}

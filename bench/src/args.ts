/** Command-line parsing for `npm run bench -- --suite <name> [--quick] [--json <file>]`. */

export type BenchArgs = { help: true } | { help: false; suite: string; quick: boolean; json: string | undefined };

export class UsageError extends Error {
  override name = "UsageError";
}

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
        return { help: true };
      case "--suite":
        suite = value();
        break;
      case "--json":
        json = value();
        break;
      case "--quick":
        if (inline !== undefined) throw new UsageError("--quick takes no value");
        quick = true;
        break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (suite === undefined) throw new UsageError(`--suite is required (one of: ${suiteNames.join(", ")})`);
  if (!suiteNames.includes(suite)) {
    throw new UsageError(`unknown suite ${JSON.stringify(suite)} (available: ${suiteNames.join(", ")})`);
  }
  return { help: false, suite, quick, json };
}

import { argvFlags, UsageError } from "@shardcast/sim/cli/argv";

/**
 * The words given to one of the bench's diagnostic scripts (workload names, option sets), read with
 * the CLIs' one parser so `--help` and a mistyped flag behave as in `npm run bench`: the usage, or
 * the reason and the usage with exit code 2, rather than a flag silently taken for a word.
 */
export function scriptWords(argv: readonly string[], usage: string): string[] {
  const words: string[] = [];
  try {
    for (const f of argvFlags(argv, [])) {
      if (f.flag === "--help") {
        process.stdout.write(`${usage}\n`);
        process.exit(0);
      }
      if (f.arg.startsWith("-")) throw new UsageError(`unknown argument ${JSON.stringify(f.arg)}`);
      words.push(f.arg);
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n${usage}\n`);
    process.exit(2);
  }
  return words;
}

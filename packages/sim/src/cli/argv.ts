import { parseArgs } from "node:util";

/** A command line that cannot run; its message is the one-line reason printed above the usage. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** One argument of a command line, in order: a flag (`--suite`, `-h` as `--help`) or a stray word. */
export interface ArgvFlag {
  /** `--name` (without an inline `=value`); a stray word as given. */
  flag: string;
  /** The argument as written, for messages. */
  arg: string;
  /** The flag's value, inline (`--x=v`) or the next argument; a UsageError when there is none. */
  value: () => string;
  /** A UsageError when the flag was given a value (`--quick=yes`). */
  noValue: () => void;
}

/**
 * The command-line reader of every CLI here (`npm run sim`, `npm run bench`): node's own
 * `util.parseArgs` splits the arguments, and the flags come out one by one, in order, for the
 * caller's switch (so `--help` wins wherever it stands, and an unknown flag is named as given).
 * Every flag but `switches` takes a value, which may not be another flag.
 */
export function* argvFlags(argv: readonly string[], switches: readonly string[]): Generator<ArgvFlag> {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const a of argv) {
    const name = a.startsWith("--") ? a.slice(2).split("=")[0]! : "";
    if (name !== "" && name !== "help") options[name] = { type: switches.includes(`--${name}`) ? "boolean" : "string" };
  }
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    const arg = argv[t.index] ?? "";
    if (t.kind !== "option") {
      yield { flag: arg, arg, value: () => arg, noValue: () => undefined };
      continue;
    }
    const flag = `--${t.name}`;
    yield {
      flag,
      arg,
      value: () => {
        if (t.value === undefined || t.value === "" || (!t.inlineValue && t.value.startsWith("--"))) throw new UsageError(`${flag} needs a value`);
        return t.value;
      },
      noValue: () => {
        if (t.value !== undefined) throw new UsageError(`${flag} takes no value`);
      },
    };
  }
}

/**
 * `npm run build:console`: the console's production build, when its sources are newer than the
 * last one (the check `npm start` makes before it starts the console). `npm test` runs it before
 * its two Playwright suites start their systems side by side, so that neither start builds and the
 * two never build at once. `--always` builds even when the build is current.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { argvFlags, UsageError } from "@shardcast/sim/cli/argv";
import { inheritedEnv } from "./env.ts";
import { buildWeb, webBuildNeeded } from "./start/web-build.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const USAGE = "usage: npm run build:console [-- --always]\n\n  --always   build even when the console's build is newer than its sources";

let always = false;
try {
  for (const f of argvFlags(process.argv.slice(2), ["--always"])) {
    if (f.flag === "--help") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (f.flag === "--always") {
      f.noValue();
      always = true;
    } else throw new UsageError(`unknown argument ${f.arg}`);
  }
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`${err.message}\n${USAGE}\n`);
  process.exit(2);
}

if (!always && !(await webBuildNeeded(root))) {
  process.stdout.write("the console's build is current\n");
} else {
  process.stdout.write("building the console\n");
  try {
    await buildWeb(root, { ...inheritedEnv(), NODE_ENV: "production" }, (line) => process.stdout.write(`  ${line}\n`));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

import { spawn, type ChildProcess } from "node:child_process";
import readline from "node:readline";

export interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<number | null>;
}

/** Spawns a service with its output prefixed by its name, one line at a time. */
export function spawnChild(name: string, cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Child {
  const proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
  const tag = `[${name}]`.padEnd(9);
  for (const stream of [proc.stdout, proc.stderr]) {
    if (!stream) continue;
    readline.createInterface({ input: stream }).on("line", (line) => process.stdout.write(`${tag} ${line}\n`));
  }
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return { name, proc, exited };
}

/** SIGTERM, then SIGKILL after a grace period. */
export async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill("SIGTERM");
  const timer = setTimeout(() => child.proc.kill("SIGKILL"), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/**
 * Polls an HTTP URL until it answers 200, the child that serves it (when given) dies, or the
 * deadline passes; the error names the last answer or failure.
 */
export async function waitForHttp(url: string, opts: { timeoutMs: number; child?: Child }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const name = opts.child?.name ?? url;
  let died = false;
  void opts.child?.exited.then(() => (died = true));
  let last = "no answer";
  while (Date.now() < deadline) {
    if (died) throw new Error(`${name} exited before it became ready (see its output above)`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} did not answer ${url} within ${Math.round(opts.timeoutMs / 1000)} s (last: ${last})`);
}

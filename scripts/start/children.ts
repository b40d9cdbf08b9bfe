import { spawn, type ChildProcess } from "node:child_process";
import readline from "node:readline";
import { pollUntil } from "@shardcast/core";

export interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<number | null>;
  /** Runs in a process group of its own (a watcher and the processes it starts), stopped as one. */
  group: boolean;
}

/**
 * Spawns a service with its output prefixed by its name, one line at a time. With `group`, the
 * service leads a process group of its own, so that `stopChild` also reaches the processes it
 * starts itself (the server a file watcher restarts, the workers of `next dev`).
 */
export function spawnChild(name: string, cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; group?: boolean }): Child {
  const group = opts.group ?? false;
  const proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"], detached: group });
  const tag = `[${name}]`.padEnd(9);
  for (const stream of [proc.stdout, proc.stderr]) {
    if (!stream) continue;
    readline.createInterface({ input: stream }).on("line", (line) => process.stdout.write(`${tag} ${line}\n`));
  }
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return { name, proc, exited, group };
}

/** Sends a signal to the child's process group; false when no process of it is left. */
function signalGroup(child: Child, signal: NodeJS.Signals | 0): boolean {
  if (child.proc.pid === undefined) return false;
  try {
    process.kill(-child.proc.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGTERM, then SIGKILL after a grace period. A child with a process group of its own stops its
 * processes itself on the SIGTERM; whatever of the group outlives it gets SIGTERM, then SIGKILL.
 */
export async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) {
    child.proc.kill("SIGTERM");
    const timer = setTimeout(() => (child.group ? signalGroup(child, "SIGKILL") : child.proc.kill("SIGKILL")), graceMs);
    await child.exited;
    clearTimeout(timer);
  }
  if (!child.group || !signalGroup(child, "SIGTERM")) return;
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && signalGroup(child, 0)) await new Promise((r) => setTimeout(r, 100));
  signalGroup(child, "SIGKILL");
}

/**
 * Polls an HTTP URL until it answers 200, the child that serves it (when given) dies, or the
 * deadline passes; the error names the last answer or failure.
 */
export async function waitForHttp(url: string, opts: { timeoutMs: number; child?: Child }): Promise<void> {
  const name = opts.child?.name ?? url;
  let died = false;
  void opts.child?.exited.then(() => (died = true));
  let last = "no answer";
  await pollUntil(
    `${name} to answer ${url}`,
    async () => {
      if (died) throw new Error(`${name} exited before it became ready (see its output above)`);
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return true;
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      return false;
    },
    opts.timeoutMs,
    { intervalMs: 250, explain: () => `no answer within ${Math.round(opts.timeoutMs / 1000)} s (last: ${last})` },
  );
}

import { spawn, type ChildProcess } from "node:child_process";
import { childEnv } from "../env.ts";

/**
 * A helper process of a suite, asked over IPC: suites time requests in a process that holds
 * nothing else (the bench process's own work, such as generating megabytes of events or running
 * the in-process mover, would otherwise land inside the latencies it times). Requests are answered
 * one at a time, in order (`serveRequests` on the child's side).
 */
export interface IpcChild<Req> {
  ask<T>(req: Req): Promise<T>;
  close(): Promise<void>;
}

export async function startIpcChild<Req>(script: string, name: string, env: Record<string, string> = {}): Promise<IpcChild<Req>> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", script], { env: childEnv(env), stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let exited: Error | null = null;
  child.on("message", (m: { id?: number; ok?: boolean; value?: unknown; error?: string }) => {
    if (m.id === undefined) return;
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.ok) w?.resolve(m.value);
    else w?.reject(new Error(m.error ?? `the ${name} process failed`));
  });
  child.once("exit", (code) => {
    exited = new Error(`the ${name} process exited with code ${code}`);
    for (const w of waiting.values()) w.reject(exited);
    waiting.clear();
  });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", () => reject(exited ?? new Error(`the ${name} process did not start`)));
  });
  return {
    ask: <T>(req: Req): Promise<T> => {
      if (exited) return Promise.reject(exited);
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, req });
      });
    },
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await done;
    },
  };
}

/** The child's side: answers each request with `answer`, in order, and says it is ready. */
export function serveRequests<Req>(answer: (req: Req) => Promise<unknown>): void {
  let queue: Promise<void> = Promise.resolve();
  process.on("message", (m: { id: number; req: Req }) => {
    queue = queue.then(async () => {
      try {
        process.send?.({ id: m.id, ok: true, value: await answer(m.req) });
      } catch (err) {
        process.send?.({ id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    });
  });
  process.on("SIGTERM", () => process.exit(0));
  process.send?.({ ready: true });
}

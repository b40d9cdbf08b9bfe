import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "@shardcast/core/testing";
import { spawnChild } from "../start/children.ts";
import { StopRequested, Stopper } from "../start/stop.ts";

/**
 * Stands in for the embedded PostgreSQL: a process group of its own (a Ctrl-C does not reach it),
 * ready when the test says so (a line on its stdin), ended by SIGINT (the fast shutdown).
 */
const SERVER = `
process.on("SIGINT", () => process.exit(0));
process.stdin.once("data", () => process.stdout.write("ready\\n"));
setInterval(() => {}, 1000);
`;

const started: ChildProcess[] = [];

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function startServer(events: string[] = []): { proc: ChildProcess; start: () => Promise<{ stop(): Promise<void> }> } {
  const proc = spawn(process.execPath, ["-e", SERVER], { stdio: ["pipe", "pipe", "inherit"], detached: true });
  started.push(proc);
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const ready = new Promise<void>((resolve) => proc.stdout?.once("data", () => resolve()));
  const stop = async () => {
    events.push("server stop");
    proc.kill("SIGINT");
    await exited;
  };
  return { proc, start: () => ready.then(() => ({ stop })) };
}

afterEach(() => {
  for (const proc of started.splice(0)) if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
});

describe("the start's stop", () => {
  it("stops a server whose start was under way when the stop began, once it is ready", async () => {
    const stopper = new Stopper();
    const server = startServer();
    const starting = stopper.server(server.start);
    await waitFor("the server process", () => alive(server.proc.pid));

    const stopped = stopper.stop();
    server.proc.stdin?.write("go\n"); // it becomes ready only now, after the stop began
    await starting;
    await stopped;
    expect(alive(server.proc.pid)).toBe(false);
  });

  it("stops the services first, then the servers", async () => {
    const events: string[] = [];
    const stopper = new Stopper();
    const server = startServer(events);
    server.proc.stdin?.write("go\n");
    await stopper.server(server.start);
    const service = stopper.child(() => spawnChild("svc", process.execPath, ["-e", "setInterval(() => {}, 1000)"], { cwd: process.cwd(), env: process.env }));
    started.push(service.proc);
    void service.exited.then(() => events.push("service exited"));

    await stopper.stop();
    expect(events).toEqual(["service exited", "server stop"]);
    expect(alive(service.proc.pid)).toBe(false);
    expect(alive(server.proc.pid)).toBe(false);
  });

  it("starts nothing once the stop has begun", async () => {
    const stopper = new Stopper();
    await stopper.stop();
    let calls = 0;
    expect(() => stopper.child(() => (calls++, spawnChild("late", process.execPath, ["-e", ""], { cwd: process.cwd(), env: process.env })))).toThrow(StopRequested);
    expect(() => stopper.server(() => (calls++, Promise.resolve({ stop: async () => {} })))).toThrow(StopRequested);
    expect(() => stopper.check()).toThrow(StopRequested);
    expect(calls).toBe(0);
  });
});

import { spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { freePort } from "@shardcast/runtime";
import { describe, expect, it } from "vitest";

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/support/ideal-server.ts");

/** Starts the ideal server with these arguments; resolves once it says it is ready, or with its exit code. */
function start(args: string[]): Promise<{ ready: boolean; code: number | null; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  };
  return new Promise((resolve) => {
    readline.createInterface({ input: child.stderr }).on("line", (line) => {
      if (line.includes("ideal server ready")) resolve({ ready: true, code: null, stop });
    });
    child.once("exit", (code) => resolve({ ready: false, code, stop }));
  });
}

describe("ideal server (the cache suite's fastest possible read)", () => {
  it("answers every read with exactly the page it was given", async () => {
    const port = await freePort();
    const server = await start([String(port)]);
    try {
      expect(server.ready).toBe(true);
      const url = `http://127.0.0.1:${port}/v1/anything?after=5`;
      const page = Buffer.from(JSON.stringify({ events: [{ seq: 1, key: "k" }], next: 1, watermark: 1 }));
      expect((await fetch(url, { method: "PUT", body: page })).status).toBe(204);
      for (let i = 0; i < 3; i++) {
        const res = await fetch(url);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe("application/json");
        expect(Buffer.from(await res.arrayBuffer()).equals(page)).toBe(true);
      }
    } finally {
      await server.stop();
    }
  });

  it("refuses to start without a valid port", async () => {
    for (const args of [[], ["0"], ["http"], ["70000"]]) {
      const server = await start(args);
      expect(server.ready).toBe(false);
      expect(server.code).toBe(2);
    }
  });
});

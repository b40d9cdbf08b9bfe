import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startEdgeBalancer, type EdgeBalancer } from "../src/edge-balancer.ts";

/** A server that answers every request with its own name. */
function named(name: string): Promise<http.Server> {
  const server = http.createServer((_req, res) => res.end(name));
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
const portOf = (s: http.Server) => (s.address() as AddressInfo).port;
const close = (s: http.Server) => new Promise<void>((resolve) => s.close(() => resolve()));

/** One request on a connection of its own (no keep-alive), answered by whichever edge got it. */
async function ask(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } });
  return res.text();
}

describe("the start's round-robin edge entry", () => {
  const servers: http.Server[] = [];
  let balancer: EdgeBalancer | undefined;
  afterEach(async () => {
    await balancer?.stop();
    for (const s of servers.splice(0)) await close(s);
  });

  it("spreads connections over the edges in turn and skips one that refuses them", async () => {
    servers.push(await named("a"), await named("b"));
    // A port nothing listens on: a stopped edge.
    const gone = await named("gone");
    const gonePort = portOf(gone);
    await close(gone);
    const targets = [portOf(servers[0]!), gonePort, portOf(servers[1]!)].map((port) => ({ host: "127.0.0.1", port }));
    const free = await named("probe");
    const port = portOf(free);
    await close(free);
    balancer = await startEdgeBalancer({ host: "127.0.0.1", port, targets });
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push(await ask(port));
    expect(answers.filter((a) => a === "a")).toHaveLength(3);
    expect(answers.filter((a) => a === "b")).toHaveLength(3);
  });
});

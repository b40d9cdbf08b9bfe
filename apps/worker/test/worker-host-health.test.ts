import { randomBytes } from "node:crypto";
import net from "node:net";
import { registerHost, type ControlDb, type HostInfo } from "@shardcast/db";
import { createTestHostDb } from "@shardcast/db/testing";
import { testPgAdminUrl } from "@shardcast/runtime/testing/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useWorkerHarness, type TestHostDb, type WorkerHarness } from "./worker-harness.ts";

/**
 * The host health job: a reachable host's size and last contact, and a host that goes away and
 * comes back (reached through a relay that can be cut).
 */

let db: ControlDb;
let hostDbs: TestHostDb[];
let runJob: WorkerHarness["runJob"];
/** The processors' clock: moved by hand so rate windows are exact. */
let now = Date.now() + 60_000;

useWorkerHarness(() => now, (w) => ({ db, hostDbs, runJob } = w));

/** A TCP relay to PostgreSQL that can be cut and restored, standing in for a host that goes away. */
class Relay {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe("host.health", () => {
  const password = `pw${randomBytes(6).toString("hex")}`;
  let relay: Relay;
  let host: HostInfo;

  async function hostRow() {
    return db.host.findUniqueOrThrow({ where: { id: host.id } });
  }
  async function transitions() {
    const ops = await db.operation.findMany({ where: { hostId: host.id }, orderBy: { startedAt: "asc" } });
    return ops.map((o) => o.kind);
  }

  beforeAll(async () => {
    const target = new URL(testPgAdminUrl());
    relay = new Relay(target.hostname, Number(target.port || 5432));
    await relay.start();
    const extra = await createTestHostDb();
    hostDbs.push(extra);
    // The server trusts local connections, so the password only has to stay out of every output.
    const dsn = new URL(extra.dsn);
    dsn.host = `127.0.0.1:${relay.port}`;
    dsn.password = password;
    host = await registerHost(db, { name: "relayed", dsn: dsn.toString() });
  });

  afterAll(async () => {
    await relay?.stop();
  });

  it("records size and last contact of a reachable host", async () => {
    now += 1_000;
    await runJob("host.health");
    const row = await hostRow();
    expect(row.status).toBe("active");
    expect(row.lastError).toBeNull();
    expect(row.lastSeenAt?.getTime()).toBe(now);
    expect(Number(row.sizeBytes)).toBeGreaterThan(0);
    expect(await transitions()).toEqual([]);
  });

  it("marks an unreachable host down with a redacted error, logging the change once", async () => {
    const seenAt = (await hostRow()).lastSeenAt;
    await relay.stop();
    now += 1_000;
    expect(await runJob("host.health")).toMatchObject({ down: 1 });
    let row = await hostRow();
    expect(row.status).toBe("down");
    expect(row.lastError).toBeTruthy();
    expect(row.lastError).not.toContain(password);
    expect(row.lastSeenAt).toEqual(seenAt);
    expect(await transitions()).toEqual(["host.down"]);
    const op = await db.operation.findFirstOrThrow({ where: { hostId: host.id, kind: "host.down" } });
    expect(op.message).not.toContain(password);

    // Still down: no second entry in the operations log.
    now += 1_000;
    await runJob("host.health");
    row = await hostRow();
    expect(row.status).toBe("down");
    expect(await transitions()).toEqual(["host.down"]);
    // The other hosts were not affected.
    expect(await db.host.count({ where: { status: "down" } })).toBe(1);
  });

  it("brings the host back up when it answers again", async () => {
    await relay.start();
    now += 1_000;
    expect(await runJob("host.health")).toMatchObject({ down: 0 });
    const row = await hostRow();
    expect(row.status).toBe("active");
    expect(row.lastError).toBeNull();
    expect(row.lastSeenAt?.getTime()).toBe(now);
    expect(await transitions()).toEqual(["host.down", "host.up"]);
  });
});

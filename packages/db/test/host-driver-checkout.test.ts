import pg from "pg";
import { describe, expect, it } from "vitest";
import { pgAdminUrl } from "../src/env.ts";
import { HostDriver } from "../src/host/driver.ts";
import { createTestHostDb, waitFor } from "../src/testing.ts";

/**
 * A host connection the server ends while the driver has it checked out, between two statements
 * (the host restarts, or its database is dropped): the driver's caller sees a failed statement,
 * the process does not see an uncaught error, and the pool does not hand the dead connection out.
 */

describe("a checked-out host connection ended by the server", () => {
  it("fails the next statement instead of the process, and is not reused", async () => {
    const host = await createTestHostDb({ schema: false });
    const seen: Error[] = [];
    const driver = new HostDriver(host.dsn, { poolSize: 1, onError: (err) => seen.push(err) });
    const admin = new pg.Client({ connectionString: pgAdminUrl() });
    await admin.connect();
    try {
      const failed = await driver
        .withClient(async (c) => {
          const pid = (await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
          await admin.query("SELECT pg_terminate_backend($1)", [pid]);
          await waitFor("the driver to hear of the ended connection", () => seen.length > 0, 5_000);
          return c.query("SELECT 1");
        })
        .then(
          () => null,
          (err: unknown) => err,
        );
      expect(failed).toBeInstanceOf(Error);
      expect(seen[0]?.message).toMatch(/terminating connection/);
      // The one pooled connection is a new one.
      expect(await driver.ping()).toBeGreaterThanOrEqual(0);
    } finally {
      await admin.end();
      await driver.close();
      await host.drop();
    }
  });
});

import net from "node:net";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createControlDb, isConnectionLoss, storageUnavailable } from "../src/index.ts";
import { createScratchDatabase } from "../src/testing.ts";

/** A local port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("connection loss", () => {
  it("is told from pg's and Prisma's errors when the server cannot be reached, and becomes unavailable", async () => {
    const url = `postgres://postgres@127.0.0.1:${await closedPort()}/nothing`;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    const fromPg = await client.connect().then(
      () => null,
      (err: unknown) => err,
    );
    expect(isConnectionLoss(fromPg)).toBe(true);

    const db = createControlDb(url);
    try {
      const fromPrisma = await db.user.count().then(
        () => null,
        (err: unknown) => err,
      );
      expect(isConnectionLoss(fromPrisma)).toBe(true);
      expect(storageUnavailable(fromPrisma, "a count")).toMatchObject({ code: "unavailable", message: expect.stringMatching(/^database unavailable during a count/) as string });
    } finally {
      await db.$disconnect();
    }
  });

  it("is not a query the server refused: that error stays as it is", async () => {
    const scratch = await createScratchDatabase("loss");
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    try {
      const refused = await client.query("SELECT * FROM no_such_table").then(
        () => null,
        (err: unknown) => err,
      );
      expect(isConnectionLoss(refused)).toBe(false);
      expect(storageUnavailable(refused)).toBeNull();
    } finally {
      await client.end();
      await scratch.drop();
    }
  });
});

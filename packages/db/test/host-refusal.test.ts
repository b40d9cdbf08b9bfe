import net from "node:net";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { hostRefusal } from "../src/index.ts";
import { pgAdminUrl } from "../src/env.ts";

async function connectError(url: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on("error", () => undefined);
  return client.connect().then(
    async () => {
      await client.end();
      return null;
    },
    (err: unknown) => err,
  );
}

describe("a host's refusal", () => {
  it("is told when the server answers without the database, also wrapped as a cause", async () => {
    const url = new URL(pgAdminUrl());
    url.pathname = "/shardcast_no_such_database";
    const err = await connectError(url.toString());
    expect(hostRefusal(err)).toBe("no_database");
    expect(hostRefusal(new Error("wrapped", { cause: err }))).toBe("no_database");
  });

  it("is not a server that cannot be reached", async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(hostRefusal(await connectError(`postgres://postgres@127.0.0.1:${port}/nothing`))).toBeNull();
  });
});

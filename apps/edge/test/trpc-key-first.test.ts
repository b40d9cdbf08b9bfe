import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@shardcast/core/testing";
import { startHarness, totalRows, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ stream: "trpc-keys" });
});
afterAll(() => h?.close());

type TrpcError = { error: { data: { httpStatus: number; shardcast?: { code: string; message: string } } } };

async function trpcIngest(token: string | null, body: string) {
  const res = await fetch(`${h.url}/trpc/ingest`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  return { status: res.status, body: (await res.json()) as TrpcError };
}

describe("tRPC ingest checks the key before the body", () => {
  // Twice the harness's 1 MiB body limit.
  const large = JSON.stringify({ stream: "trpc-keys", events: [{ key: "a", payload: { s: "y".repeat(2 * 1024 * 1024) } }] });

  it("answers a large body without a key, or with an unknown one, 401 (not 413) and stores nothing", async () => {
    const rows = await totalRows(h);
    for (const token of [null, "sc_nope_nothing"]) {
      const res = await trpcIngest(token, large);
      expect(res.status).toBe(401);
      expect(res.body.error.data.shardcast?.code).toBe("unauthenticated");
    }
    // With a valid key the body limit still holds.
    expect((await trpcIngest(h.token, large)).status).toBe(413);
    expect(await totalRows(h)).toBe(rows);
  });

  it("answers 401 while most of the declared body is still unsent", async () => {
    const port = Number(new URL(h.url).port);
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
    socket.on("error", () => undefined);
    try {
      await new Promise<void>((resolve) => socket.once("connect", resolve));
      // 512 KiB declared (under the limit), 1 KiB sent: an edge reading the body first would wait for the rest.
      socket.write(`POST /trpc/ingest HTTP/1.1\r\nhost: edge\r\ncontent-type: application/json\r\ncontent-length: ${512 * 1024}\r\n\r\n`);
      socket.write(`{"stream":"trpc-keys","events":[{"key":"${"k".repeat(1024)}`);
      await waitFor("an answer before the body is complete", () => /\r\n\r\n/.test(received), 5_000);
      expect(received).toMatch(/^HTTP\/1\.1 401 /);
    } finally {
      socket.destroy();
    }
  });
});

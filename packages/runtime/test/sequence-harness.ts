import type { Redis } from "ioredis";
import { createRedis } from "../src/redis.ts";
import { ownRedis } from "../src/testing/own-redis.ts";

/** Stands in for the control database's high-water mark: GREATEST(mark, atLeast) + step. */
export function markStore() {
  const marks = new Map<string, number>();
  const calls: Array<[string, number, number]> = [];
  return {
    marks,
    calls,
    reserve: (streamId: string, atLeast: number, step: number) => {
      calls.push([streamId, atLeast, step]);
      const next = Math.max(marks.get(streamId) ?? 0, atLeast) + step;
      marks.set(streamId, next);
      return Promise.resolve(next);
    },
  };
}

/** A Redis server of the test's own, which it may flush, stop and restart (the shared one must never be), and a client of it. */
export async function withPrivateRedis(fn: (r: { client: Redis; restart: () => Promise<void> }) => Promise<void>): Promise<void> {
  const server = await ownRedis("seq");
  const client = createRedis(server.url);
  // A restart keeps the port, so the client reconnects by itself; the server loads what SAVE wrote.
  const restart = async () => {
    await server.stop();
    await server.start();
    if (client.status !== "ready") await new Promise<void>((resolve) => client.once("ready", () => resolve()));
  };
  try {
    await fn({ client, restart });
  } finally {
    client.disconnect();
    await server.close();
  }
}

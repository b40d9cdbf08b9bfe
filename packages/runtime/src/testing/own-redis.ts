import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { spawnRedis, type SpawnedRedis } from "../redis-resolve.ts";

/**
 * A Redis server of one test file's own, for tests that flush, stop or restart it (the shared one
 * must never be): started on a free port with its files in a scratch folder. `stop` and `start`
 * keep the port, so clients reconnect to the same URL by themselves; `close` stops it and removes
 * the folder.
 */
export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  /** Starts it again on the same port (after `stop`), with what a `SAVE` left in its folder. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function ownRedis(name: string, opts: { args?: (dir: string) => string[] } = {}): Promise<OwnRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `sc-${name}-`));
  const spawn = (port?: number) => spawnRedis({ dir, ...(port === undefined ? {} : { port }), ...(opts.args ? { args: opts.args(dir) } : {}) });
  let server: SpawnedRedis | null = await spawn().catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  const { url, port } = server;
  return {
    url,
    port,
    async stop() {
      await server?.stop();
      server = null;
    },
    async start() {
      server ??= await spawn(port);
    },
    async close() {
      await server?.stop();
      server = null;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

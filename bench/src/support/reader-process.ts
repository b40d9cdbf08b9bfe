/**
 * The cache suite's reader process (see page-reader.ts): answers timed-read requests from its
 * parent over IPC, one at a time. It says it is ready with a first message `{ ready: true }`.
 */
import { readFixedPages, readShardletPages, type ReaderRequest } from "./page-reader.ts";

async function answer(req: ReaderRequest): Promise<unknown> {
  return req.kind === "shardlet" ? readShardletPages(req) : readFixedPages(req.url, req.pages);
}

let queue: Promise<void> = Promise.resolve();
process.on("message", (m: { id: number; req: ReaderRequest }) => {
  queue = queue.then(async () => {
    try {
      process.send?.({ id: m.id, ok: true, value: await answer(m.req) });
    } catch (err) {
      process.send?.({ id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  });
});
process.on("SIGTERM", () => process.exit(0));
process.send?.({ ready: true });

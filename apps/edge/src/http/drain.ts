import type http from "node:http";
import type { Logger } from "@shardcast/runtime";

/**
 * Stops taking connections and waits for the requests in flight, up to `graceMs`; then cuts
 * whatever is still open. Connections left idle by a finished keep-alive request are closed as
 * they go idle, since their clients would otherwise hold the server open until their timeout.
 */
export async function drainServer(server: http.Server, graceMs: number, log: Logger): Promise<void> {
  if (!server.listening) return;
  let reap: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    reap = setInterval(() => server.closeIdleConnections(), 50);
    deadline = setTimeout(() => {
      log.warn("shutdown grace period over: closing the connections still open", { graceMs });
      server.closeAllConnections();
    }, graceMs);
  });
  clearInterval(reap);
  clearTimeout(deadline);
}

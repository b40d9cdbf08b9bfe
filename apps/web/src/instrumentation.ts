import { isNodeRuntime } from "./env.ts";

/** Runs once when the console's server starts, before it handles requests. */
export async function register(): Promise<void> {
  // The stamp needs Node's http server.
  if (!isNodeRuntime()) return;
  const { stampPeerAddresses } = await import("./server/peer-stamp.ts");
  stampPeerAddresses();
}

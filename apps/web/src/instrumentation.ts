/** Runs once when the console's server starts, before it handles requests. */
export async function register(): Promise<void> {
  // The stamp needs Node's http server. The check is the literal Next replaces at build time, so
  // the edge build drops the Node-only import below; through a helper (or the env module, which
  // imports Node modules itself) the edge bundle would carry them and the build warns about each.
  // eslint-disable-next-line no-restricted-properties -- see above: must be the literal
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { stampPeerAddresses } = await import("./server/peer-stamp.ts");
  stampPeerAddresses();
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * A storage host's DSN re-pointed at the embedded server `serverUrl` when it names that server at
 * another port (a restart with another `SHARDCAST_PG_PORT` keeps the data directory, its
 * databases and its generated password); null for every other host. The password identifies the
 * server: it is generated once per data directory, so a loopback server on another port that
 * happens to run on this machine is never taken for it.
 */
export function movedEmbeddedDsn(dsn: string, serverUrl: string): string | null {
  let url: URL;
  let server: URL;
  try {
    url = new URL(dsn);
    server = new URL(serverUrl);
  } catch {
    return null;
  }
  if (!LOOPBACK.has(url.hostname) || url.port === server.port) return null;
  if (url.username !== server.username || url.password === "" || url.password !== server.password) return null;
  url.hostname = server.hostname;
  url.port = server.port;
  return url.toString();
}

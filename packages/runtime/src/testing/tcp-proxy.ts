import net from "node:net";

/**
 * A TCP proxy in front of a server (PostgreSQL, Redis) that tests and benchmarks bend on cue: it
 * holds the server's replies back for a while (a slow or distant host), or loses them (a reply
 * lost after the server applied the command), or cuts every connection.
 */
export interface TcpProxy {
  /** The target's URL with the proxy's address: same scheme, credentials, database and options. */
  url: string;
  /**
   * From now on, every chunk the server sends reaches the client `ms` later (in order), so each
   * round trip takes about `ms` more; 0 forwards at once again. Chunks already held keep their time.
   */
  delayReplies(ms: number): void;
  /**
   * The next request a connection sends still reaches the server (which runs it), but nothing the
   * server answers on that connection reaches the client any more, until `cut()`.
   */
  loseReplies(): void;
  /** Drops every open connection (clients that reconnect through the proxy are forwarded again). */
  cut(): void;
  close(): Promise<void>;
}

/** `targetUrl`: the server's URL; `defaultPort` when the URL names none. */
export async function startTcpProxy(targetUrl: string, defaultPort: number): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  let delayMs = 0;
  let armed = false;
  const open = new Set<{ client: net.Socket; upstream: net.Socket }>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || defaultPort), target.hostname);
    // Without it Nagle's algorithm holds a small write back until the last one is acknowledged,
    // and the peer's delayed ACK makes that up to 40 ms: a latency the proxy would add by itself.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const pair = { client, upstream };
    open.add(pair);
    let swallowing = false;
    // Held chunks go out in arrival order, from one timer, even when the delay is lowered meanwhile.
    const held: Array<{ at: number; chunk: Buffer }> = [];
    let timer: NodeJS.Timeout | null = null;
    const release = () => {
      timer = null;
      while (held.length > 0 && held[0]!.at <= performance.now()) {
        const { chunk } = held.shift()!;
        if (!client.destroyed) client.write(chunk);
      }
      if (held.length > 0) timer = setTimeout(release, held[0]!.at - performance.now());
    };
    client.on("data", (chunk: Buffer) => {
      if (armed) {
        armed = false;
        swallowing = true;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (swallowing) return;
      if (delayMs === 0 && held.length === 0) {
        client.write(chunk);
        return;
      }
      held.push({ at: Math.max(performance.now() + delayMs, held.at(-1)?.at ?? 0), chunk });
      timer ??= setTimeout(release, held[0]!.at - performance.now());
    });
    const end = () => {
      if (timer) clearTimeout(timer);
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(targetUrl);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as net.AddressInfo).port);
  const cut = () => {
    for (const { client, upstream } of open) {
      client.destroy();
      upstream.destroy();
    }
    open.clear();
  };
  return {
    url: url.toString(),
    delayReplies: (ms) => {
      delayMs = Math.max(0, ms);
    },
    loseReplies: () => {
      armed = true;
    },
    cut,
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

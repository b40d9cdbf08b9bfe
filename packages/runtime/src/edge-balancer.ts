import net from "node:net";

export interface EdgeBalancer {
  /** The port it listens on (the system's choice when 0 was asked for). */
  port: number;
  stop(): Promise<void>;
}

/**
 * A round-robin entry in front of several edges, as a load balancer is in production: each new
 * connection goes to the next edge, and one that refuses it is skipped for the next. It balances
 * connections, like a layer-4 balancer: requests on a kept-alive connection stay with their edge.
 * Written over node:net (a few dozen lines) because a local start and the system tests need no more than this; in
 * production the operator's own balancer takes its place.
 */
export function startEdgeBalancer(opts: { host: string; port: number; targets: ReadonlyArray<{ host: string; port: number }> }): Promise<EdgeBalancer> {
  let next = 0;
  const sockets = new Set<net.Socket>();
  const connect = (client: net.Socket, tried: number) => {
    if (tried >= opts.targets.length || client.destroyed) {
      client.destroy();
      return;
    }
    const target = opts.targets[next++ % opts.targets.length]!;
    const upstream = net.connect(target.port, target.host);
    sockets.add(upstream);
    upstream.once("close", () => sockets.delete(upstream));
    // Refused before anything was sent (this listener goes at the connect): the next edge gets it.
    upstream.once("error", () => connect(client, tried + 1));
    upstream.once("connect", () => {
      upstream.removeAllListeners("error");
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  };
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.once("close", () => sockets.delete(client));
    connect(client, 0);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve({
        // The port it listens on: the one asked for, or the one the system chose for port 0.
        port: (server.address() as net.AddressInfo).port,
        stop: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

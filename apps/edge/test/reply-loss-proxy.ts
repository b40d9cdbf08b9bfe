import net from "node:net";

/**
 * A TCP proxy in front of Redis that loses replies on cue: after `loseReplies()`, the next request
 * a connection sends reaches Redis (which runs it), but nothing Redis answers from then on reaches
 * the client, until `cut()` drops the connection: a reply lost after the server applied the command.
 */
export interface ReplyLossProxy {
  url: string;
  loseReplies(): void;
  /** Drops every open connection (the client reconnects through the proxy, which forwards again). */
  cut(): void;
  close(): Promise<void>;
}

/** `targetUrl`: Redis's URL; the proxy's keeps its database and credentials. */
export async function startReplyLossProxy(targetUrl: string): Promise<ReplyLossProxy> {
  const target = new URL(targetUrl);
  let armed = false;
  const open = new Set<{ client: net.Socket; upstream: net.Socket }>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    const pair = { client, upstream };
    open.add(pair);
    let swallowing = false;
    client.on("data", (chunk: Buffer) => {
      if (armed) {
        armed = false;
        swallowing = true;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!swallowing) client.write(chunk);
    });
    const end = () => {
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
  return {
    url: url.toString(),
    loseReplies: () => {
      armed = true;
    },
    cut: () => {
      for (const { client, upstream } of open) {
        client.destroy();
        upstream.destroy();
      }
      open.clear();
    },
    close: async () => {
      for (const { client, upstream } of open) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

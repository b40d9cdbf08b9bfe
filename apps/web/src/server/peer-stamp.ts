import { channel, type Channel } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { PEER_HEADER, PEER_TLS_HEADER } from "@shardcast/api/request-origin";

interface RequestStart {
  request: IncomingMessage;
  socket: Socket & { encrypted?: boolean };
}

/** Writes the connection's own address onto a request, replacing anything the client sent. */
export function stampPeer({ request, socket }: RequestStart): void {
  const address = socket.remoteAddress;
  if (address) request.headers[PEER_HEADER] = address;
  else delete request.headers[PEER_HEADER];
  request.headers[PEER_TLS_HEADER] = socket.encrypted ? "1" : "0";
}

const KEY = Symbol.for("shardcast.web.peer-stamp");
type Holder = { [KEY]?: Channel };

/**
 * Route handlers in Next.js never see the socket, and `x-forwarded-for` reaches them as the client
 * sent it. Node announces every request on this channel before the server's handler runs, which
 * is the one place the real peer address can be attached for the trust-proxy rule.
 */
export function stampPeerAddresses(): void {
  const holder = globalThis as Holder;
  if (holder[KEY]) return;
  const start = channel("http.server.request.start");
  start.subscribe((message) => stampPeer(message as RequestStart));
  // Held here so the channel (weakly referenced by Node) lives as long as the server.
  holder[KEY] = start;
}

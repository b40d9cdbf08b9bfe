import http from "node:http";
import type { AddressInfo } from "node:net";

/** A request as the proxy received it. */
export interface ProxiedRequest {
  method: string;
  /** Path and query, e.g. `/v1/streams/orders/events`. */
  path: string;
  body: string;
}

/**
 * What the proxy does with one request:
 * - `forward`: passes it to the edge and its answer back;
 * - `stall`: never answers (until the proxy closes);
 * - `stallBody`: answers the status line and headers, then never sends the promised body;
 * - `{ status, body, forward? }`: answers this instead; with `forward` the edge gets (and acts
 *   on) the request first, so only its answer is lost.
 */
export type Behaviour = "forward" | "stall" | "stallBody" | { status: number; body: unknown; forward?: boolean };

export interface Proxy {
  url: string;
  /** Every request received, with the status it was answered with (0: not answered). */
  log: Array<ProxiedRequest & { status: number }>;
  close(): Promise<void>;
}

/**
 * A real HTTP server in front of a real edge that misbehaves where the test says so: the failures
 * a real edge cannot be made to show on cue (a 500, a request that hangs, a body that stops).
 */
export async function startProxy(target: string, decide: (req: ProxiedRequest) => Behaviour): Promise<Proxy> {
  const log: Proxy["log"] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const request: ProxiedRequest = { method: req.method ?? "GET", path: req.url ?? "/", body: Buffer.concat(chunks).toString("utf8") };
      const entry = { ...request, status: 0 };
      log.push(entry);
      void answer(request, decide(request), req.headers, res, entry).catch(() => res.destroy());
    });
  });
  async function answer(request: ProxiedRequest, how: Behaviour, headers: http.IncomingHttpHeaders, res: http.ServerResponse, entry: { status: number }): Promise<void> {
    if (how === "stall") return;
    const forwarded = how === "forward" || how === "stallBody" || how.forward === true ? await forward(target, request, headers) : null;
    const status = typeof how === "object" ? how.status : forwarded!.status;
    const text = typeof how === "object" ? JSON.stringify(how.body) : forwarded!.text;
    entry.status = status;
    const length = Buffer.byteLength(text);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": length });
    if (how === "stallBody") res.write(text.slice(0, Math.floor(text.length / 2)));
    else res.end(text);
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function forward(target: string, request: ProxiedRequest, headers: http.IncomingHttpHeaders): Promise<{ status: number; text: string }> {
  const pass: Record<string, string> = {};
  for (const name of ["authorization", "content-type", "accept"]) {
    const value = headers[name];
    if (typeof value === "string") pass[name] = value;
  }
  const res = await fetch(target + request.path, {
    method: request.method,
    headers: pass,
    ...(request.method === "GET" || request.method === "HEAD" ? {} : { body: request.body }),
  });
  return { status: res.status, text: await res.text() };
}

import http from "node:http";
import { performance } from "node:perf_hooks";

/**
 * Timed GETs for the read benchmarks, on node:http with a kept-alive connection. The global
 * `fetch` adds a tail of its own: on an idle two-core machine, reading the ideal server
 * (support/ideal-server.ts) 2,000 times in a one-off diagnostic, its p99 was 3.9-4.6 ms against 1.4-2.9 ms for node:http,
 * the same order as what a cache saves. A reader's own tail would then be most of what the read
 * benchmarks compare, so they time reads with this instead.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

export interface TimedGet {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** From the request's start to the answer's last byte. */
  ms: number;
}

export function timedGet(url: string, headers: Record<string, string> = {}): Promise<TimedGet> {
  return timedRequest(url, { method: "GET", headers });
}

/** A timed POST of a JSON body, on the same kept-alive connections. */
export function timedPost(url: string, body: string, headers: Record<string, string> = {}): Promise<TimedGet> {
  return timedRequest(url, { method: "POST", headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) } }, body);
}

function timedRequest(url: string, opts: { method: string; headers: Record<string, string> }, body?: string): Promise<TimedGet> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, { agent, ...opts }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: performance.now() - t0 }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * The fastest read any cache could give on this machine: a process that answers every GET with the
 * same bytes, held in memory, with no lookup, no authentication and no encoding. The cache suite
 * reads it beside the edges, page for page, so the tail the machine itself puts on a sub-millisecond
 * HTTP answer (other processes, scheduling, the reader's own pauses) is measured in the same run
 * and a cache's p99 can be read against it. `PUT /` sets the bytes (a real page of the cache edge).
 *
 * Usage: `node --import tsx bench/src/support/ideal-server.ts <port>`; logs "ideal server ready".
 */
import http from "node:http";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
  process.stderr.write(`ideal-server: expected a port as the only argument, got ${JSON.stringify(process.argv[2])}\n`);
  process.exit(2);
}

let body = Buffer.from("{}");
const server = http.createServer((req, res) => {
  if (req.method === "PUT") {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      body = Buffer.concat(chunks);
      res.writeHead(204).end();
    });
    return;
  }
  res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
  res.end(body);
});
server.listen(port, "127.0.0.1", () => process.stderr.write("ideal server ready\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));

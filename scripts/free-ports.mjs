// Prints N free TCP ports on 127.0.0.1 (default 1), space-separated: for the CI and production
// checks' services. All N are held open together before any is let go: asked for one at a time,
// the system may hand the same just-freed port out twice.
import net from "node:net";

const n = Number(process.argv[2] ?? 1);
if (!Number.isInteger(n) || n < 1 || n > 20) {
  console.error("usage: node scripts/free-ports.mjs [count 1-20]");
  process.exit(2);
}
const servers = Array.from({ length: n }, () => net.createServer());
const ports = await Promise.all(servers.map((s) => new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve(s.address().port)))));
console.log(ports.join(" "));
for (const s of servers) s.close();

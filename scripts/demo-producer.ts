/**
 * Demo producer for `npm start`: Zipf-skewed keys, several event types, a compressed daily rhythm
 * (a day every 10 minutes) and occasional flash crowds, sent in batches to the edge's REST API.
 * Settings: SHARDCAST_EDGE_URL, SHARDCAST_DEMO_TOKEN (an API key), SHARDCAST_DEMO_RATE (mean
 * events/s), SHARDCAST_DEMO_STREAM (default "demo").
 */
import { WorkloadGenerator } from "@shardcast/core";
import { loadDemoConfig } from "./env.ts";

let config: ReturnType<typeof loadDemoConfig>;
try {
  config = loadDemoConfig();
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
const { SHARDCAST_EDGE_URL: edgeUrl, SHARDCAST_DEMO_TOKEN: token, SHARDCAST_DEMO_STREAM: stream, SHARDCAST_DEMO_RATE: rate } = config;

const TICK_MS = 250;
const MAX_BATCH = 500;
const gen = new WorkloadGenerator({
  seed: "demo",
  keys: 5000,
  idPrefix: `demo-${Date.now().toString(36)}`,
  rhythm: { baseRate: rate, originMs: Date.now() - 8 * 60 * 60 * 1000 * (600_000 / 86_400_000) },
  drift: { everyMs: 120_000, step: 3 },
});
gen.due(Date.now());

let sent = 0;
let failed = 0;
let stopping = false;
let lastReport = Date.now();

async function send(events: unknown[]): Promise<void> {
  const res = await fetch(`${edgeUrl}/v1/streams/${stream}/events`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ events }),
  });
  if (res.ok) {
    sent += events.length;
    return;
  }
  failed += events.length;
  process.stderr.write(`edge answered ${res.status}: ${(await res.text()).slice(0, 300)}\n`);
}

async function loop(): Promise<void> {
  while (!stopping) {
    const started = Date.now();
    let owed = gen.due(started);
    const sends: Array<Promise<void>> = [];
    while (owed > 0) {
      const n = Math.min(owed, MAX_BATCH);
      sends.push(send(gen.nextBatch(n, started)).catch((err: unknown) => {
        failed += n;
        process.stderr.write(`send failed: ${err instanceof Error ? err.message : String(err)}\n`);
      }));
      owed -= n;
    }
    await Promise.all(sends);
    if (Date.now() - lastReport > 30_000) {
      lastReport = Date.now();
      process.stdout.write(`sent ${sent} events (${failed} failed); current rate ${gen.rateAt(Date.now()).toFixed(0)}/s\n`);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, TICK_MS - (Date.now() - started))));
  }
}

process.on("SIGTERM", () => (stopping = true));
process.on("SIGINT", () => (stopping = true));
await loop();

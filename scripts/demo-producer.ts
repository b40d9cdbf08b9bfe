/**
 * Demo producer for `npm start`: Zipf-skewed keys, several event types, a compressed daily rhythm
 * (a day every 10 minutes) and occasional flash crowds, most announced by precursor events (and
 * some false alarms, see demo-precursors.ts), sent through the client SDK's producer
 * (batching, idempotent retries). Settings: SHARDCAST_EDGE_URL, SHARDCAST_DEMO_TOKEN (an API key),
 * SHARDCAST_DEMO_RATE (mean events/s), SHARDCAST_DEMO_STREAM (default "demo"). A twentieth of that
 * rate again goes to the ledger stream the demo reporter reads (see demo-ledger.ts).
 */
import { ShardcastProducer } from "@shardcast/client";
import { WorkloadGenerator } from "@shardcast/core";
import { DEMO_LEDGER_STREAM, DemoLedger } from "./demo-ledger.ts";
import { DemoPrecursors } from "./demo-precursors.ts";
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
const gen = new WorkloadGenerator({
  seed: "demo",
  keys: 5000,
  idPrefix: `demo-${Date.now().toString(36)}`,
  rhythm: { baseRate: rate, originMs: Date.now() - 8 * 60 * 60 * 1000 * (600_000 / 86_400_000) },
  drift: { everyMs: 120_000, step: 3 },
});
gen.due(Date.now());
// Most flash crowds are announced 45 s ahead; a false alarm every 3 minutes or so.
const precursors = new DemoPrecursors(gen, { leadMs: 45_000, announceShare: 0.8, falseAlarmEveryMs: 180_000, idPrefix: gen.options.idPrefix });
const producer = new ShardcastProducer({ url: edgeUrl, apiKey: token, stream, maxBatchEvents: 500, lingerMs: 20, maxQueuedEvents: 20_000 });
const ledger = new DemoLedger(rate / 20, gen.options.idPrefix, Date.now());
const ledgerProducer = new ShardcastProducer({ url: edgeUrl, apiKey: token, stream: DEMO_LEDGER_STREAM, maxBatchEvents: 500, lingerMs: 50, maxQueuedEvents: 5_000 });

let sent = 0;
let ledgerSent = 0;
let failed = 0;
let stopping = false;
let lastReport = Date.now();

async function loop(): Promise<void> {
  while (!stopping) {
    const started = Date.now();
    const owed = gen.due(started);
    if (owed > 0) {
      // Not awaited: the producer batches and retries in the background; the tick keeps the pace.
      producer.sendBatch(gen.nextBatch(owed, started)).then(
        (r) => (sent += r.length),
        (err: unknown) => {
          failed += owed;
          process.stderr.write(`send failed: ${err instanceof Error ? err.message : String(err)}\n`);
        },
      );
    }
    const announced = precursors.due(started);
    if (announced.length > 0) {
      producer.sendBatch(announced).then(
        (r) => (sent += r.length),
        (err: unknown) => process.stderr.write(`precursors failed: ${err instanceof Error ? err.message : String(err)}\n`),
      );
    }
    const entries = ledger.due(started);
    if (entries.length > 0) {
      ledgerProducer.sendBatch(entries).then(
        (r) => (ledgerSent += r.length),
        (err: unknown) => process.stderr.write(`ledger entries failed: ${err instanceof Error ? err.message : String(err)}\n`),
      );
    }
    if (Date.now() - lastReport > 30_000) {
      lastReport = Date.now();
      process.stdout.write(`sent ${sent} events (${failed} failed) and ${ledgerSent} ledger entries; current rate ${gen.rateAt(Date.now()).toFixed(0)}/s\n`);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, TICK_MS - (Date.now() - started))));
  }
  await Promise.all([producer.close(), ledgerProducer.close()]);
}

process.on("SIGTERM", () => (stopping = true));
process.on("SIGINT", () => (stopping = true));
await loop();

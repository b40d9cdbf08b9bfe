/**
 * Demo consumer group for `npm start`: SHARDCAST_DEMO_CONSUMERS members (default 3) of the group
 * `demo-analytics`, built on the client SDK, each pretending to spend SHARDCAST_DEMO_PROCESS_MS per
 * event (default 2 ms; waited, not computed, so the demo does not take the machine's cores). Every
 * few minutes one member leaves and a new one joins a minute later, so the console shows the group
 * rebalancing; checkpoint requests are logged as a stateful consumer would snapshot its state.
 */
import { ShardcastConsumer } from "@shardcast/client";
import { loadDemoConsumerConfig } from "./env.ts";

let config: ReturnType<typeof loadDemoConsumerConfig>;
try {
  config = loadDemoConsumerConfig();
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
const { SHARDCAST_EDGE_URL: url, SHARDCAST_DEMO_TOKEN: apiKey, SHARDCAST_DEMO_STREAM: stream, SHARDCAST_DEMO_CONSUMERS: size, SHARDCAST_DEMO_PROCESS_MS: perEventMs } = config;
const GROUP = "demo-analytics";
const CHURN_EVERY_MS = 4 * 60_000;
const REJOIN_AFTER_MS = 60_000;

let processed = 0;
let snapshots = 0;
let serial = 0;
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function member(): ShardcastConsumer {
  const name = `analytics-${++serial}`;
  return new ShardcastConsumer({
    url,
    apiKey,
    stream,
    group: GROUP,
    name,
    maxWaitMs: 1_000,
    handler: async (batch) => {
      if (batch.events.length === 0) return;
      await new Promise((r) => setTimeout(r, batch.events.length * perEventMs));
      processed += batch.events.length;
    },
    onAssigned: (ids) => say(`${name} took ${ids.length} shardlet(s)`),
    onRevoked: (ids) => say(`${name} gave up ${ids.length} shardlet(s)`),
    onCheckpoint: (r) => {
      snapshots++;
      say(`${name} snapshots its state of ${r.shardletId} at ${r.position} (${r.reason})`);
    },
    onError: (err, ctx) => process.stderr.write(`${name} ${ctx.phase}: ${err.message}\n`),
  });
}

const members: ShardcastConsumer[] = [];
for (let i = 0; i < size; i++) {
  const m = member();
  members.push(m);
  await m.start();
}
say(`consumer group "${GROUP}" started with ${size} members on stream "${stream}"`);

let stopping = false;
const report = setInterval(() => say(`demo consumers processed ${processed} events; ${snapshots} checkpoint snapshots`), 30_000);
const churn = setInterval(() => {
  const leaving = members.shift();
  if (!leaving || stopping) return;
  void leaving.stop().then(() => {
    setTimeout(() => {
      if (stopping) return;
      const m = member();
      members.push(m);
      void m.start();
    }, REJOIN_AFTER_MS).unref();
  });
}, CHURN_EVERY_MS);

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(report);
  clearInterval(churn);
  await Promise.all(members.map((m) => m.stop()));
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());

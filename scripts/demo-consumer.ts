/**
 * Demo consumer group for `npm start`: SHARDCAST_DEMO_CONSUMERS members (default 3) of the group
 * `demo-analytics`, built on the client SDK, each pretending to spend SHARDCAST_DEMO_PROCESS_MS per
 * event (default 2 ms; waited, not computed, so the demo does not take the machine's cores). Every
 * few minutes one member leaves and a new one joins a minute later, so the console shows the group
 * rebalancing; checkpoint requests are logged as a stateful consumer would snapshot its state.
 *
 * For the read cache: a second group, `demo-audit` (one member, half the cost per event), reads
 * the same events (a fan-out the edge's cache serves from memory), and a reporter sends a
 * `report_requested` event to the ledger stream every two minutes and reads the requesting
 * tenant's shardlet there 20 s later, the pattern the correlation engine learns and the
 * prefetcher then warms the cache for. Nothing else reads the ledger, so the cache header of the
 * reporter's reads (logged) says what the prefetch did: `partial` until the map is learned (the
 * events since its last read come from a host), `hit` after.
 */
import { keyHash } from "@shardcast/core";
import { ShardcastConsumer } from "@shardcast/client";
import { DEMO_LEDGER_STREAM, REPORT_TENANT } from "./demo-ledger.ts";
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
let stopping = false;
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
/**
 * A member's errors, except a leave that fails while everything stops: Ctrl-C stops the edge
 * together with these members, and the group's session timeout ends a membership whose leave
 * did not arrive.
 */
const reportError =
  (name: string) =>
  (err: Error, ctx: { phase: string }): void => {
    if (stopping && ctx.phase === "leave") return;
    process.stderr.write(`${name} ${ctx.phase}: ${err.message}\n`);
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
    onError: reportError(name),
  });
}

const audit = new ShardcastConsumer({
  url,
  apiKey,
  stream,
  group: "demo-audit",
  name: "audit-1",
  maxWaitMs: 1_000,
  // Half the analytics group's cost per event (an audit trail written somewhere): a group that
  // spends nothing never builds predicted replay, so it would checkpoint only at splits and
  // merges, and its old positions would keep the demo's payloads out of the cold archive.
  handler: async (batch) => {
    if (batch.events.length > 0) await new Promise((r) => setTimeout(r, (batch.events.length * perEventMs) / 2));
  },
  onError: reportError("audit-1"),
});
await audit.start();

const REPORT_EVERY_MS = 2 * 60_000;
// Every two minutes: the engine judges a read against the shardlet's chance of a read in any
// minute (its lag window), which a reporter reading every minute would make certain.
const REPORT_READ_AFTER_MS = 20_000;
const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "x-shardcast-client": "demo-reporter" };
/** Where the reporter's next read of each shardlet starts (it reads from where it stopped). */
const reportPositions = new Map<string, number>();

async function report(): Promise<void> {
  const sent = await fetch(`${url}/v1/streams/${DEMO_LEDGER_STREAM}/events`, { method: "POST", headers, body: JSON.stringify({ events: [{ key: REPORT_TENANT, type: "report_requested", payload: { at: Date.now() } }] }) });
  if (!sent.ok) throw new Error(`report request answered ${sent.status}`);
  const requestedAt = ((await sent.json()) as { events: Array<{ seq: number }> }).events[0]?.seq ?? 0;
  await new Promise((r) => setTimeout(r, REPORT_READ_AFTER_MS));
  const list = (await (await fetch(`${url}/v1/streams/${DEMO_LEDGER_STREAM}/shardlets`, { headers })).json()) as { shardlets: Array<{ id: string; lo: number; hi: number }> };
  const h = keyHash(REPORT_TENANT);
  const shardlet = list.shardlets.find((s) => h >= s.lo && h < s.hi);
  if (!shardlet) return;
  // The first report after a start covers what came since its request: a report from the
  // ledger's beginning would read (and make the placement job restore) every archived entry.
  let after = reportPositions.get(shardlet.id) ?? Math.max(0, requestedAt - 1);
  let read = 0;
  const answers = new Map<string, number>();
  for (let page = 0; page < 50; page++) {
    const res = await fetch(`${url}/v1/streams/${DEMO_LEDGER_STREAM}/shardlets/${shardlet.id}/events?after=${after}&limit=1000`, { headers });
    if (!res.ok) throw new Error(`report read answered ${res.status}`);
    const cache = res.headers.get("x-shardcast-cache") ?? "no cache";
    answers.set(cache, (answers.get(cache) ?? 0) + 1);
    const body = (await res.json()) as { events: unknown[]; next: number; watermark: number };
    read += body.events.length;
    if (body.next <= after) break;
    after = body.next;
    if (after >= body.watermark) break;
  }
  reportPositions.set(shardlet.id, after);
  const pages = [...answers].map(([cache, n]) => `${n} ${cache}`).join(", ");
  say(`demo reporter read ${read} events of ${DEMO_LEDGER_STREAM} shardlet ${shardlet.id} (cache: ${pages})`);
}
const reporter = setInterval(() => void report().catch((err: unknown) => process.stderr.write(`demo reporter: ${err instanceof Error ? err.message : String(err)}\n`)), REPORT_EVERY_MS);
void report().catch(() => undefined);

const members: ShardcastConsumer[] = [];
for (let i = 0; i < size; i++) {
  const m = member();
  members.push(m);
  await m.start();
}
say(`consumer group "${GROUP}" started with ${size} members on stream "${stream}"`);

const progress = setInterval(() => say(`demo consumers processed ${processed} events; ${snapshots} checkpoint snapshots`), 30_000);
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
  clearInterval(progress);
  clearInterval(churn);
  clearInterval(reporter);
  await Promise.all([...members.map((m) => m.stop()), audit.stop()]);
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());

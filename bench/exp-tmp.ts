import { performance } from "node:perf_hooks";
import pg from "pg";
import { keyHash, RoutingTable, WorkloadGenerator, validateBatch, DEFAULT_INGEST_LIMITS } from "@shardcast/core";
import { createStream, HostPool, loadRoutes, registerHost, HostDriver } from "@shardcast/db";
import { createTestControlDb, createTestHostDb } from "@shardcast/db/testing";
const control = await createTestControlDb();
const host = await createTestHostDb();
const hosts = new HostPool(control.db, { poolSize: 2 });
await registerHost(control.db, { name: "h", dsn: host.dsn });
const stream = await createStream(control.db, hosts, { name: "bench", shardCount: 8, shardletsPerShard: 1 });
const table = RoutingTable.build(stream.id, await loadRoutes(control.db, stream.id));
const drv = new HostDriver(host.dsn, { poolSize: 4 });
const direct = new pg.Pool({ connectionString: host.dsn, max: 4 });
const gen = new WorkloadGenerator({ seed: "x", keys: 20000, bursts: false });
let seq = 1;
const cols = 10;
const values = Array.from({ length: 500 }, (_, r) => `(${Array.from({ length: cols }, (_, c) => `$${r * cols + c + 1}`).join(",")})`).join(",");
const insertSql = `INSERT INTO sc_events (stream_id, seq, shardlet_id, key, key_hash, event_id, type, ts, payload, size_bytes) VALUES ${values}`;
async function pool<T>(items: T[], c: number, fn: (x: T) => Promise<void>) { let i = 0; await Promise.all(Array.from({ length: c }, async () => { while (i < items.length) await fn(items[i++]!); })); }
for (let run = 0; run < 4; run++) {
  const batches = Array.from({ length: 30 }, () => validateBatch({ events: gen.nextBatch(500) }, { limits: DEFAULT_INGEST_LIMITS, keyField: "key", now: Date.now() }));
  let t = performance.now();
  await pool(batches, 4, async (evs) => {
    const parts = new Map<string, any[]>();
    for (const e of evs) { const h = keyHash(e.key); const r = table.lookup(h); (parts.get(r.id) ?? parts.set(r.id, []).get(r.id)!).push({ ...e, seq: seq++, keyHash: h }); }
    await drv.fencedWriteBatch({ streamId: stream.id, parts: [...parts].map(([shardletId, events]) => ({ shardletId, epoch: 1, events })) });
  });
  const fenced = 15000 * 1000 / (performance.now() - t);
  const batches2 = Array.from({ length: 30 }, () => validateBatch({ events: gen.nextBatch(500) }, { limits: DEFAULT_INGEST_LIMITS, keyField: "key", now: Date.now() }));
  t = performance.now();
  await pool(batches2, 4, async (evs) => {
    await direct.query(insertSql, evs.flatMap((e) => { const h = keyHash(e.key); return [stream.id, seq++, table.lookup(h).id, e.key, h, e.id, e.type, new Date(e.ts), e.payloadJson, e.sizeBytes]; }));
  });
  const d = 15000 * 1000 / (performance.now() - t);
  console.log({ fenced: Math.round(fenced), direct: Math.round(d), ratio: (fenced / d).toFixed(2) });
}
await drv.close(); await direct.end(); await hosts.closeAll(); await control.drop(); await host.drop();

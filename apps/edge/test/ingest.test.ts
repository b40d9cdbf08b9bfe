import { createHash } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyHash, RoutingTable } from "@shardcast/core";
import { getSequenceReserved, loadRoutes, reserveSequence } from "@shardcast/db";
import { get, post, startHarness, totalRows, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

type Ack = { accepted: number; duplicates: number; events: Array<{ seq: number; shardletId: string; duplicate: boolean }> };

function batch(from: number, n: number, keys: number) {
  return Array.from({ length: n }, (_, i) => {
    const k = from + i;
    return { id: `e-${k}`, key: `user-${(k * 7919) % keys}`, type: k % 3 ? "click" : "order", payload: { k } };
  });
}

const checksum = (ids: string[]) =>
  ids
    .map((id) => createHash("sha256").update(id).digest().readBigUInt64BE(0))
    .reduce((a, b) => (a + b) % 2n ** 64n, 0n);

describe("ingest of 10,000 events over many keys", () => {
  const sent: Array<{ id: string; key: string }> = [];
  const acked = new Map<string, number>();

  beforeAll(async () => {
    // Ten batches in order (to check the order across batches), then ten concurrently.
    let lastSeq = 0;
    for (let b = 0; b < 10; b++) {
      const events = batch(b * 500, 500, 2000);
      const res = await post(h, `/v1/streams/${h.stream}/events`, { events });
      expect(res.status).toBe(200);
      const ack = res.body as unknown as Ack;
      expect(ack.accepted).toBe(500);
      for (const [i, e] of ack.events.entries()) {
        expect(e.seq).toBeGreaterThan(lastSeq); // strictly increasing within and across batches
        lastSeq = e.seq;
        acked.set(events[i]!.id, e.seq);
      }
      sent.push(...events);
    }
    const concurrent = Array.from({ length: 10 }, (_, b) => batch(5000 + b * 500, 500, 2000));
    const results = await Promise.all(concurrent.map((events) => post(h, `/v1/streams/${h.stream}/events`, { events })));
    results.forEach((res, b) => {
      expect(res.status).toBe(200);
      const ack = res.body as unknown as Ack;
      ack.events.forEach((e, i) => acked.set(concurrent[b]![i]!.id, e.seq));
      sent.push(...concurrent[b]!);
    });
  });

  it("stores each event exactly once, on the host owning its key's shardlet, with unique sequence numbers", async () => {
    const table = RoutingTable.build(h.streamId, await loadRoutes(h.db, h.streamId));
    const rows: Array<{ event_id: string; key: string; shardlet_id: string; seq: string; host: string }> = [];
    for (const [hostId, dsn] of h.hostDsns) {
      const client = new pg.Client({ connectionString: dsn });
      await client.connect();
      const r = await client.query<{ event_id: string; key: string; shardlet_id: string; seq: string }>(
        "SELECT event_id, key, shardlet_id, seq FROM sc_events WHERE stream_id = $1",
        [h.streamId],
      );
      await client.end();
      rows.push(...r.rows.map((row) => ({ ...row, host: hostId })));
    }
    expect(rows.length).toBe(10_000);
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(10_000);
    expect(new Set(rows.map((r) => r.seq)).size).toBe(10_000);
    expect(checksum(rows.map((r) => r.event_id))).toBe(checksum(sent.map((e) => e.id)));
    for (const r of rows) {
      const owner = table.lookup(keyHash(r.key));
      expect(r.shardlet_id).toBe(owner.id);
      expect(r.host).toBe(owner.hostId);
      expect(Number(r.seq)).toBe(acked.get(r.event_id));
    }
    // Several hosts took part.
    expect(new Set(rows.map((r) => r.host)).size).toBe(3);
  });

  it("reads every event by global position, in strictly increasing order", async () => {
    let after = 0;
    const seqs: number[] = [];
    for (let page = 0; page < 50; page++) {
      const res = await get(h, `/v1/streams/${h.stream}/events?after=${after}&limit=1000`);
      expect(res.status).toBe(200);
      const body = res.body as { events: Array<{ seq: number; id: string }>; next: number; watermark: number };
      seqs.push(...body.events.map((e) => e.seq));
      if (body.events.length === 0) break;
      after = body.next;
    }
    expect(seqs.length).toBe(10_000);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
  });

  it("refuses a position no write was given, and takes it once a write may have been", async () => {
    const tail = await get(h, `/v1/streams/${h.stream}/events?after=0&limit=1`);
    const watermark = (tail.body as { watermark: number }).watermark;
    const atTail = await get(h, `/v1/streams/${h.stream}/events?after=${watermark}&limit=10`);
    expect(atTail.status).toBe(200);
    expect(atTail.body).toMatchObject({ events: [], next: watermark });

    const mark = (await getSequenceReserved(h.db, h.streamId))!;
    expect(mark).toBeGreaterThanOrEqual(watermark);
    // Up to the durable mark a position may belong to a write still in flight: an empty page.
    expect((await get(h, `/v1/streams/${h.stream}/events?after=${mark}&limit=10`)).status).toBe(200);
    const shardlet = (await loadRoutes(h.db, h.streamId))[0]!.id;
    const reads = [`/v1/streams/${h.stream}/events`, `/v1/streams/${h.stream}/shardlets/${shardlet}/events`];
    expect((await get(h, `${reads[1]}?after=${mark}&limit=10`)).status).toBe(200);
    for (const path of reads) {
      const past = await get(h, `${path}?after=${mark + 1}&limit=10`);
      expect(past.status, path).toBe(400);
      expect((past.body.error as { code: string; message: string }).code).toBe("bad_request");
      expect((past.body.error as { message: string }).message).toContain("beyond every position");
    }

    // Another edge reserves the next numbers: the same position is now one a write may hold.
    await reserveSequence(h.db, h.streamId, mark, 1_000);
    for (const path of reads) {
      const later = await get(h, `${path}?after=${mark + 1}&limit=10`);
      expect(later.status, path).toBe(200);
      expect(later.body).toMatchObject({ events: [], next: mark + 1 });
    }
  });

  it("reads a key's events", async () => {
    for (const key of ["user-0", "user-17", "user-1999"]) {
      const expected = sent.filter((e) => e.key === key).map((e) => e.id).sort();
      const res = await get(h, `/v1/streams/${h.stream}/keys/${key}/events?limit=1000`);
      expect(res.status).toBe(200);
      const ids = (res.body.events as Array<{ id: string }>).map((e) => e.id).sort();
      expect(ids).toEqual(expected);
      expect(ids.length).toBeGreaterThan(0);
    }
  });
});

describe("idempotency", () => {
  it("stores a repeated event id once and returns the original position", async () => {
    const before = await totalRows(h);
    const event = { id: "idem-1", key: "k-idem", payload: { n: 1 } };
    const first = await post(h, `/v1/streams/${h.stream}/events`, { events: [event] });
    const second = await post(h, `/v1/streams/${h.stream}/events`, { events: [event, { ...event }] });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    const a = first.body as unknown as Ack;
    const b = second.body as unknown as Ack;
    expect(a.events[0]!.duplicate).toBe(false);
    expect(b.duplicates).toBe(2);
    expect(b.events.map((e) => e.seq)).toEqual([a.events[0]!.seq, a.events[0]!.seq]);
    expect(await totalRows(h)).toBe(before + 1);
  });
});

describe("fencing", () => {
  it("rejects a stale-epoch write; the edge refreshes its route and retries", async () => {
    const key = "fence-key";
    const entry = await h.edge.routing.get(h.stream);
    const route = entry!.table.lookup(keyHash(key));
    // Raise the epoch behind the edge's back (no pub/sub message): host fence first, then the map.
    const host = await h.hosts.get(route.hostId);
    await host.setFence(route.id, h.streamId, route.epoch + 1, "active");
    await h.db.shardlet.update({ where: { id: route.id }, data: { epoch: route.epoch + 1 } });
    const before = await totalRows(h);
    const res = await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key, id: "fenced-1", payload: {} }] });
    expect(res.status).toBe(200);
    expect(await totalRows(h)).toBe(before + 1);
    const after = await h.edge.routing.get(h.stream);
    expect(after!.table.byId(route.id)!.epoch).toBe(route.epoch + 1);
  });

  it("a write at the stale epoch straight to the host stores nothing", async () => {
    const entry = await h.edge.routing.get(h.stream);
    const route = entry!.table.all()[0]!;
    const host = await h.hosts.get(route.hostId);
    const res = await host.fencedWrite({
      streamId: h.streamId,
      shardletId: route.id,
      epoch: route.epoch - 1,
      events: [{ key: "x", id: "stale-direct", type: null, ts: Date.now(), payloadJson: "{}", sizeBytes: 3, seq: 9e12, keyHash: keyHash("x") }],
    });
    expect(res.ok).toBe(false);
    expect((await host.readByKey({ streamId: h.streamId, key: "x", limit: 10 })).events.length).toBe(0);
  });
});

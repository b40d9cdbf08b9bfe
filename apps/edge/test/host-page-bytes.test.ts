import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredEvent } from "@shardcast/core";
import { createRedis, type SequenceAllocator } from "@shardcast/runtime";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { RangeReader } from "../src/consumers/range-reader.ts";
import { ReadService } from "../src/reads.ts";
import type { RoutingCache } from "../src/routing-cache.ts";
import { post, startHarness, type Harness } from "./harness.ts";
import { readParts } from "./read-parts.ts";

/**
 * Reads on three real hosts that stop their own answers at the page's bytes: each host answers
 * about a page's bytes of rows, not `limit` rows, and the edge still stitches the hosts' answers
 * into pages that, followed from each one's continuation, return every event exactly once, for
 * reads by position, by key and of consumers' ranges.
 */

const PAGE_BYTES = 64 * 1024;
const LIMIT = 1_000;
/** Events of about 3.6 KB (the harness's events are at most 4 KB): a page is under twenty of them. */
const BLOB = 3_500;
const N = 540;
const HOT = "hot";
/** No host answer holds more rows than fit in the page's bytes and one more event, per table. */
const MOST_ROWS_PER_ANSWER = 2 * (Math.floor(PAGE_BYTES / BLOB) + 1);

interface Written {
  id: string;
  key: string;
  seq: number;
  payload: { i: number; blob: string };
}

let h: Harness;
let redis: ReturnType<typeof createRedis>;
let routing: RoutingCache;
let sequences: SequenceAllocator;
const written: Written[] = [];
/** Rows of each host answer, per kind of read. */
const answers = { position: [] as number[], key: [] as number[], ranges: [] as number[] };

beforeAll(async () => {
  h = await startHarness({ stream: "host-bytes", shardCount: 2 });
  redis = createRedis(testRedisUrl());
  ({ routing, sequences } = readParts(h, redis));
  for (let i = 0; i < N; i += 180) {
    const events = Array.from({ length: 180 }, (_, j) => {
      const n = i + j;
      return { key: n % 3 === 0 ? HOT : `k-${n}`, id: `e-${n}`, type: "t", payload: { i: n, blob: randomBytes(BLOB / 2).toString("hex") } };
    });
    const res = await post(h, `/v1/streams/${h.stream}/events`, { events });
    expect(res.status).toBe(200);
    (res.body.events as Array<{ seq: number }>).forEach((ack, j) => written.push({ ...events[j]!, seq: ack.seq }));
  }
}, 120_000);

afterAll(async () => {
  await redis?.quit();
  await h?.close();
});

function checksum(events: ReadonlyArray<{ id: string | null; seq: number; payload: unknown }>): string {
  const rows = [...events].sort((a, b) => a.seq - b.seq).map((e) => [e.id, e.seq, JSON.stringify(e.payload)]);
  return createHash("sha256").update(JSON.stringify(rows)).digest("hex");
}

function expectEveryEventOnce(read: readonly StoredEvent[], expected: readonly Written[]): void {
  expect(read.length).toBe(expected.length);
  expect(new Set(read.map((e) => e.id)).size).toBe(expected.length);
  expect(checksum(read)).toBe(checksum(expected));
}

/** Every host answer of a kind held about a page's bytes of rows, and several were cut by them. */
function expectHostAnswersBudgeted(rows: readonly number[]): void {
  expect(rows.length).toBeGreaterThan(3);
  expect(Math.max(...rows)).toBeLessThanOrEqual(MOST_ROWS_PER_ANSWER);
}

const reads = () =>
  new ReadService({
    routing,
    sequences,
    hosts: {
      readByPosition: async (hostId, q) => {
        const page = await (await h.hosts.get(hostId)).readByPosition(q);
        answers.position.push(page.events.length);
        return page;
      },
      readByKey: async (hostId, q) => {
        const page = await (await h.hosts.get(hostId)).readByKey(q);
        answers.key.push(page.events.length);
        return page;
      },
    },
    pageBytes: PAGE_BYTES,
  });

describe("host answers bounded by the page's bytes", () => {
  it("reads by position: every event once", async () => {
    const service = reads();
    const read: StoredEvent[] = [];
    let after = 0;
    for (let pages = 0; pages < 500; pages++) {
      const page = await service.byPosition(h.stream, after, LIMIT);
      read.push(...page.events);
      if (page.next >= page.watermark) break;
      expect(page.next).toBeGreaterThan(after);
      after = page.next;
    }
    expectEveryEventOnce(read, written);
    expectHostAnswersBudgeted(answers.position);
  });

  it("reads by key: every event of the key once, going on from each page's next", async () => {
    const service = reads();
    const read: StoredEvent[] = [];
    let page = await service.byKey(h.stream, HOT, { limit: LIMIT });
    for (let pages = 0; pages < 500; pages++) {
      read.push(...page.events);
      if (!page.next) break;
      page = await service.byKey(h.stream, HOT, { limit: LIMIT, fromTs: page.next.from, afterSeq: page.next.after });
    }
    expectEveryEventOnce(read, written.filter((e) => e.key === HOT));
    expectHostAnswersBudgeted(answers.key);
  });

  it("reads consumers' ranges: every event once, going on from each page's next", async () => {
    const ranges = new RangeReader({
      routing,
      sequences,
      hosts: {
        readRanges: async (hostId, q) => {
          const res = await (await h.hosts.get(hostId)).readRanges(q);
          answers.ranges.push(res.events.length);
          return res;
        },
      },
      pageBytes: PAGE_BYTES,
    });
    const entry = (await routing.get(h.stream))!;
    const read: StoredEvent[] = [];
    let after = 0;
    for (let pages = 0; pages < 500; pages++) {
      const parts = entry.table.all().map((s) => ({ shardletId: s.id, lo: s.lo, hi: s.hi, cursor: [{ lo: s.lo, hi: s.hi, after }] }));
      const page = await ranges.read(entry, parts, LIMIT);
      for (const events of page.events.values()) read.push(...events);
      if (page.next >= page.watermark) break;
      expect(page.next).toBeGreaterThan(after);
      after = page.next;
    }
    expectEveryEventOnce(read, written);
    expectHostAnswersBudgeted(answers.ranges);
  });
});

import { listHostReplicas, listReplicas, listShardlets, type HostDriver, type HostPool } from "@shardcast/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReadReplica } from "../src/replicas/create.ts";
import type { ReplicaDeps } from "../src/replicas/deps.ts";
import { syncReplicas } from "../src/replicas/sync.ts";
import { exactlyOnceProblems } from "./lifecycle-harness.ts";
import type { MigrationHarness } from "./migration-harness.ts";
import { readShardlet, startReplicaHarness } from "./replica-harness.ts";

/**
 * Two replica syncs at once (a stalled job taken over by another worker): only one advances the
 * replica at each position, and the control database's record must end with what the replica's
 * host holds (events copied count in the replicate arm's reward), not with the slower sync's view.
 * The slower sync is held after its first chunk, while the other copies everything.
 */
let t: MigrationHarness;
let deps: ReplicaDeps;

beforeAll(async () => {
  ({ t, deps } = await startReplicaHarness());
}, 60_000);

afterAll(async () => {
  await t?.close();
});

/** The pool, with the source host's second copy read held until `open` resolves. */
function holdSecondRead(pool: HostPool, sourceHostId: string, reached: () => void, open: Promise<void>): HostPool {
  let reads = 0;
  const hold = (d: HostDriver): HostDriver =>
    new Proxy(d, {
      get(target, prop) {
        if (prop === "withClient") {
          return async (fn: Parameters<HostDriver["withClient"]>[0]) => {
            if (++reads === 2) {
              reached();
              await open;
            }
            return target.withClient(fn);
          };
        }
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  return new Proxy(pool, {
    get(target, prop) {
      if (prop === "get") return async (id: string) => (id === sourceHostId ? hold(await target.get(id)) : target.get(id));
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe("two replica syncs at once", () => {
  it("leave the replica's record counting what its host holds", async () => {
    const a = (await listShardlets(t.h.db, { streamId: t.h.streamId })).find((s) => s.state === "active")!;
    const other = t.h.hostIds.find((id) => id !== a.hostId)!;
    await t.write(a, 900, { inRangeShare: 1 });
    const replica = await createReadReplica(deps, a, other, "test");

    let reached!: () => void;
    const atSecondChunk = new Promise<void>((r) => (reached = r));
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    const slow = syncReplicas({ ...deps, hosts: holdSecondRead(t.h.hosts, a.hostId, reached, opened) }, { chunkRows: 200 });
    await Promise.race([atSecondChunk, slow]);
    const fast = await syncReplicas(deps, { chunkRows: 200 });
    open();
    const held = await slow;
    expect(fast).toMatchObject({ failed: 0, advanced: 1 });
    expect(held).toMatchObject({ failed: 0 });

    const onHost = (await listHostReplicas(await t.h.driver(other))).find((r) => r.replicaId === replica.id)!;
    const rows = await (await t.h.driver(other)).withClient((c) =>
      c.query<{ n: number; b: number }>("SELECT count(*)::int AS n, coalesce(sum(size_bytes), 0)::int AS b FROM sc_replica_events WHERE replica_id = $1", [replica.id]),
    );
    const acked = [...t.h.acked.values()].filter((x) => x.shardletId === a.id).length;
    expect(rows.rows[0]).toEqual({ n: acked, b: onHost.bytes });
    expect(onHost.events).toBe(acked);
    const record = (await listReplicas(t.h.db)).find((r) => r.id === replica.id)!;
    expect({ verifiedSeq: record.verifiedSeq, events: record.events, bytes: record.bytes }).toEqual({ verifiedSeq: onHost.verifiedSeq, events: onHost.events, bytes: onHost.bytes });

    // Reads through the edge (now partly served by the replica) return every event once.
    const { events } = await readShardlet(t, a.id);
    const ids = new Set(events.map((e) => e.id));
    expect(events.length).toBe(acked);
    for (const x of t.h.acked.values()) if (x.shardletId === a.id) expect(ids.has(x.id), x.id).toBe(true);
    expect(exactlyOnceProblems(await t.h.check())).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import type { Harness } from "./harness.ts";
import { KIB, useLifecycleConsole, type MapOut, type Settings } from "./lifecycle-harness.ts";

/** The lifecycle settings: who reads and changes them, how changes are checked and audited, and what they change. */
describe("lifecycle console api (one host)", () => {
  let h: Harness;
  let viewer: string;
  let operator: string;
  let operatorEmail: string;

  useLifecycleConsole((c) => ({ h, viewer, operator, operatorEmail } = c));

  describe("settings", () => {
    it("shows the defaults to anyone signed in, before any change", async () => {
      const res = await h.call<{ lifecycle: Settings; defaults: Settings; updatedAt: Date | null }>("query", "settings.get", undefined, viewer);
      expect(res.status).toBe(200);
      expect(res.data?.lifecycle).toEqual(res.data?.defaults);
      expect(res.data?.lifecycle).toMatchObject({ enabled: true, splitThreshold: 0.8, initialCapacityBytes: 10 * 1024 * KIB });
      expect(res.data?.updatedAt).toBeNull();
      expect((await h.call("query", "settings.get")).status).toBe(401);
    });

    it("refuses a viewer's change", async () => {
      const current = (await h.call<{ lifecycle: Settings }>("query", "settings.get", undefined, viewer)).data!.lifecycle;
      const res = await h.call("mutation", "settings.update", { ...current, splitThreshold: 0.5 }, viewer);
      expect(res.status).toBe(403);
      expect(res.error?.message).toBe("This action needs the operator role.");
    });

    it("rejects invalid values with one message per field and stores nothing", async () => {
      const current = (await h.call<{ lifecycle: Settings }>("query", "settings.get", undefined, operator)).data!.lifecycle;
      const res = await h.call("mutation", "settings.update", { ...current, splitThreshold: 1.5, initialCapacityBytes: 1000 }, operator);
      expect(res.status).toBe(400);
      expect(res.error?.data.scCode).toBe("validation_failed");
      const rejected = Object.fromEntries((res.error?.data.details?.rejected ?? []).map((r) => [r.path, r.message]));
      expect(rejected).toEqual({
        splitThreshold: "splitThreshold: split threshold must be at most 0.99",
        initialCapacityBytes: "initialCapacityBytes: initial capacity must be at least 4 KiB",
      });

      // The cross-field rule lands on the merge threshold.
      const cross = await h.call("mutation", "settings.update", { ...current, splitThreshold: 0.3, mergeThreshold: 0.2 }, operator);
      expect(cross.status).toBe(400);
      expect(cross.error?.data.details?.rejected?.map((r) => r.path)).toEqual(["mergeThreshold"]);

      const audit = await h.call<{ entries: unknown[] }>("query", "settings.audit", undefined, operator);
      expect(audit.data?.entries).toEqual([]);
      expect((await h.call<{ updatedAt: Date | null }>("query", "settings.get", undefined, operator)).data?.updatedAt).toBeNull();
    });

    it("saves an operator's change, audits old -> new with the actor, and logs the operation", async () => {
      const current = (await h.call<{ lifecycle: Settings }>("query", "settings.get", undefined, operator)).data!.lifecycle;
      const next = { ...current, splitThreshold: 0.3, mergeThreshold: 0.1, initialCapacityBytes: 64 * KIB };
      const res = await h.call<{ lifecycle: Settings; changed: string[] }>("mutation", "settings.update", next, operator);
      expect(res.status).toBe(200);
      expect(res.data?.changed.sort()).toEqual(["initialCapacityBytes", "mergeThreshold", "splitThreshold"]);

      const stored = await h.call<{ lifecycle: Settings; updatedAt: Date | null }>("query", "settings.get", undefined, viewer);
      expect(stored.data?.lifecycle).toEqual(next);
      expect(stored.data?.updatedAt).toBeInstanceOf(Date);

      const audit = await h.call<{ entries: Array<{ actorEmail: string; at: Date; changes: Array<{ field: string; old: unknown; new: unknown }> }> }>(
        "query",
        "settings.audit",
        undefined,
        viewer,
      );
      expect(audit.data?.entries).toHaveLength(1);
      const entry = audit.data!.entries[0]!;
      expect(entry.actorEmail).toBe(operatorEmail);
      expect(entry.at).toBeInstanceOf(Date);
      expect(entry.changes).toEqual(
        expect.arrayContaining([
          { field: "splitThreshold", old: 0.8, new: 0.3 },
          { field: "mergeThreshold", old: 0.2, new: 0.1 },
          { field: "initialCapacityBytes", old: 10 * 1024 * KIB, new: 64 * KIB },
        ]),
      );
      expect(entry.changes).toHaveLength(3);

      // A second change compares with the stored value, not the defaults.
      await h.call("mutation", "settings.update", { ...next, enabled: false }, operator);
      const second = await h.call<{ entries: Array<{ changes: unknown[] }> }>("query", "settings.audit", undefined, viewer);
      expect(second.data?.entries[0]?.changes).toEqual([{ field: "enabled", old: true, new: false }]);
      await h.call("mutation", "settings.update", next, operator);

      const ops = await h.call<{ operations: Array<{ kind: string; actor: string; message: string }> }>("query", "operations.list", { kind: "settings.update" }, viewer);
      expect(ops.data?.operations).toHaveLength(3);
      expect(ops.data?.operations[2]).toMatchObject({ actor: operatorEmail });
      expect(ops.data?.operations[2]?.message).toContain("splitThreshold 0.8 -> 0.3");
    });

    it("gives new streams the configured initial capacity", async () => {
      const res = await h.call<{ id: string }>("mutation", "streams.create", { name: "small", shardCount: 1, shardletsPerShard: 2 }, operator);
      expect(res.status).toBe(200);
      const map = await h.call<MapOut>("query", "shardmap.byHost", { streamId: res.data!.id }, viewer);
      const all = map.data!.hosts.flatMap((x) => x.shardlets);
      expect(all.map((s) => s.capacityBytes)).toEqual([64 * KIB, 64 * KIB]);
      expect(map.data?.splitThreshold).toBe(0.3);
    });
  });
});

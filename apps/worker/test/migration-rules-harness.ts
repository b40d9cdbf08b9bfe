import { afterAll, beforeAll, expect } from "vitest";
import { runMigration } from "../src/migration/machine.ts";
import { runOverflowDrain } from "../src/processors/overflow-drain.ts";
import { exactlyOnceProblems } from "./lifecycle-harness.ts";
import { startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * What the migration rules tests share: a migration harness of two shards of four shardlets (small
 * enough to split), a mover that copies at once in small chunks, and the checks they make.
 */

export function rangeOf(s: { lo: bigint; hi: bigint }) {
  return { lo: Number(s.lo), hi: Number(s.hi) };
}

/**
 * For a test file: starts the harness before its tests and hands it to `ready`, and closes it after
 * them. Returns the helpers the tests call (inside a test, once the harness runs).
 */
export function useMigrationRulesHarness(ready: (t: MigrationHarness) => void) {
  let started: MigrationHarness | undefined;
  const harness = (): MigrationHarness => {
    if (!started) throw new Error("the migration harness did not start");
    return started;
  };

  beforeAll(async () => {
    started = await startMigrationHarness({ shardletsPerShard: 4, settings: { minShardletWidth: 1024 } });
    await started.settings({ chunkRows: 100, verifyRangeRows: 100, switchTailRows: 50, cleanupGraceMs: 50, rowsPerSecond: 0 });
    ready(started);
  });

  afterAll(async () => {
    await started?.close();
  });

  async function shardlets() {
    const t = harness();
    return t.h.db.shardlet.findMany({ where: { streamId: t.h.streamId, state: "active" }, orderBy: { lo: "asc" } });
  }

  function other(hostId: string): string {
    return harness().h.hostIds.find((id) => id !== hostId)!;
  }

  /** A migration stopped right after its copy fences were set (phase copying, nobody running it). */
  async function stoppedInCopy(shardletId: string, dest: string): Promise<string> {
    const t = harness();
    const id = await t.approve(shardletId, dest);
    t.hooks.afterStep = (step) => {
      if (step === "copy.fences") throw new Error("injected stop");
    };
    await expect(runMigration(t.h.deps, id)).rejects.toThrow(/injected stop/);
    t.hooks.afterStep = undefined;
    expect((await t.migration(id)).phase).toBe("copying");
    return id;
  }

  async function expectClean(range: { lo: number; hi: number }, on: string) {
    const t = harness();
    await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
    expect(await t.onHost(on, range)).toEqual(t.expected(range));
    expect((await t.onHost(other(on), range)).rows).toBe(0);
    expect(exactlyOnceProblems(await t.h.check())).toEqual([]);
  }

  return { shardlets, other, stoppedInCopy, expectClean };
}

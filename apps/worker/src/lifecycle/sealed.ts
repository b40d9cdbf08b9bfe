import { dropShardletStats, retireExpiredSealedShardlets, type SealedShardlet } from "@shardcast/db";
import type { WorkerDeps } from "../deps.ts";
import { probeErrorMessage } from "../domain/health.ts";
import { announce } from "./run-context.ts";

/**
 * Retires the sealed shardlets whose history has expired (the stream's retention has passed since
 * their hand-off sealed them): readers stop reading their hosts as history, their fences on those
 * hosts retire and their accounting rows go, so the host's figures follow what it still holds.
 * Work is proportional to what expired. A host that does not answer keeps its stale fence and
 * totals until the leftover is seen again (the control rows, which readers follow, are retired).
 */
export async function retireExpiredHistory(deps: WorkerDeps): Promise<SealedShardlet[]> {
  const retired = await retireExpiredSealedShardlets(deps.db, new Date(deps.clock()));
  if (retired.length === 0) return retired;
  const byHost = new Map<string, SealedShardlet[]>();
  for (const s of retired) byHost.set(s.hostId, [...(byHost.get(s.hostId) ?? []), s]);
  await Promise.all(
    [...byHost].map(async ([hostId, list]) => {
      try {
        const driver = await deps.hosts.get(hostId);
        await driver.setFences(list.map((s) => ({ shardletId: s.id, streamId: s.streamId, epoch: s.epoch, state: "retired" })));
        for (const s of list) await dropShardletStats(driver, s.id);
      } catch (err) {
        deps.log.warn("expired history retired; its host did not answer for its fences and totals", { hostId, error: probeErrorMessage(err) });
      }
    }),
  );
  for (const streamId of new Set(retired.map((s) => s.streamId))) await announce(deps, streamId);
  deps.log.info("sealed history expired", { shardlets: retired.map((s) => s.id) });
  return retired;
}

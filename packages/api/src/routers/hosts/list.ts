import { z } from "zod";
import { getRebalanceSettings, listHosts, listSealedShardlets, listShardlets } from "@shardcast/db";
import { countOpenHistoryCopies } from "@shardcast/db/handoff-views";
import { groupSealed, historyTotals } from "../../services/sealed-history.ts";
import { viewerProcedure } from "../../trpc.ts";
import { historyTotalsSchema, hostSchema } from "../shared.ts";
import { hostView } from "./view.ts";

export const listHostsOutput = z.object({
  hosts: z.array(
    hostSchema.extend({
      /** Shardlets on the host that are not sealed or retired. */
      shardletCount: z.number(),
      /** Sealed history the host holds (what hand-offs left on it; null: none). */
      history: historyTotalsSchema.nullable(),
      /**
       * For a draining host, what becomes of that history (the rebalance settings' `drainHistory`):
       * `expire` waits for retention to drop it, `copy` copies it to other hosts. Null otherwise.
       */
      drainHistory: z.enum(["expire", "copy"]).nullable(),
      /** History copies off the host not finished yet (copies of its sealed shardlets, proposed to cleanup). */
      historyCopiesOpen: z.number(),
    }),
  ),
});

export const list = viewerProcedure.output(listHostsOutput).query(async ({ ctx }) => {
  const [hosts, shardlets, sealed, settings, copies] = await Promise.all([
    listHosts(ctx.db),
    listShardlets(ctx.db, {}),
    listSealedShardlets(ctx.db),
    getRebalanceSettings(ctx.db),
    countOpenHistoryCopies(ctx.db),
  ]);
  const counts = new Map<string, number>();
  for (const s of shardlets) if (s.state !== "sealed") counts.set(s.hostId, (counts.get(s.hostId) ?? 0) + 1);
  const sealedOnHost = groupSealed(sealed, "hostId");
  return {
    hosts: hosts.map((h) => ({
      ...hostView(h),
      shardletCount: counts.get(h.id) ?? 0,
      history: historyTotals(sealedOnHost.get(h.id) ?? []),
      drainHistory: h.status === "draining" && h.retiredAt === null ? settings.drainHistory : null,
      historyCopiesOpen: copies.get(h.id) ?? 0,
    })),
  };
});

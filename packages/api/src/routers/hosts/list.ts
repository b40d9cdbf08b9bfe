import { z } from "zod";
import { listHosts, listShardlets } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { hostSchema } from "../shared.ts";
import { hostView } from "./view.ts";

export const listHostsOutput = z.object({
  hosts: z.array(hostSchema.extend({ shardletCount: z.number() })),
});

export const list = viewerProcedure.output(listHostsOutput).query(async ({ ctx }) => {
  const [hosts, shardlets] = await Promise.all([listHosts(ctx.db), listShardlets(ctx.db, {})]);
  const counts = new Map<string, number>();
  for (const s of shardlets) counts.set(s.hostId, (counts.get(s.hostId) ?? 0) + 1);
  return { hosts: hosts.map((h) => ({ ...hostView(h), shardletCount: counts.get(h.id) ?? 0 })) };
});

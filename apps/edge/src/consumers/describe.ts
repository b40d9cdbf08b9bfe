import { cursorPosition } from "@shardcast/core";
import { expiredUnreadOf, getDurableCheckpoints, type ConsumerGroupInfo, type ConsumerGroupState } from "@shardcast/db";
import type { RouteEntry } from "../routing-cache.ts";
import type { GroupCaller } from "./access.ts";
import { baseCursors, type CursorDeps } from "./group-cursors.ts";

/**
 * A group as `GET .../groups/{group}` shows it. Member ids are the credential of a membership
 * (with the key that joined it), so only the caller's own members show theirs; the others are
 * shown by name, and their shardlets by the holder's name.
 */
export async function describeGroup(deps: CursorDeps, entry: RouteEntry, g: ConsumerGroupInfo, state: ConsumerGroupState, caller: GroupCaller) {
  const ids = state.assignments.map((a) => a.shardletId);
  const [raw, durable, expired] = await Promise.all([deps.progress.readRaw(g.id, ids), getDurableCheckpoints(deps.db, g.id, ids), expiredUnreadOf(deps.db, [g.id])]);
  const cursors = await baseCursors(deps, entry, g, ids, { raw, durable });
  const members = new Map(state.members.map((m) => [m.id, m]));
  const shownId = (memberId: string | null): string | null => (memberId !== null && members.get(memberId)?.apiKeyId === caller.id ? memberId : null);
  return {
    group: g.name,
    stream: entry.meta.name,
    generation: state.group.generation,
    expiredUnreadEvents: expired.get(g.id)?.events ?? 0,
    members: state.members.map((m) => ({
      id: shownId(m.id),
      name: m.name,
      joinedAt: m.joinedAt,
      lastSeenAt: m.lastSeenAt,
      shardlets: state.assignments.filter((a) => a.memberId === m.id).length,
    })),
    shardlets: state.assignments.map((a) => {
      const c = cursors.get(a.shardletId);
      const d = durable.get(a.shardletId);
      return {
        shardletId: a.shardletId,
        memberId: shownId(a.memberId),
        memberName: a.memberId === null ? null : (members.get(a.memberId)?.name ?? null),
        generation: a.generation,
        position: c ? cursorPosition(c) : g.startSeq,
        checkpoint: d?.position ?? null,
        lagEvents: a.lagEvents,
        lagSeconds: a.lagSeconds,
      };
    }),
  };
}

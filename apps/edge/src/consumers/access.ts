import { ShardcastError } from "@shardcast/core";
import { apiKeyAllowsGroup, type ConsumerMemberInfo } from "@shardcast/db";

/** The API key calling a group route, as far as consumer groups are concerned. */
export interface GroupCaller {
  id: string;
  name: string;
  /** Groups the key may use; empty: any group. */
  consumerGroups: readonly string[];
}

/** Refuses (403) a key scoped to other consumer groups, before anything is read or created. */
export function checkGroupScope(caller: GroupCaller, group: string): void {
  if (!apiKeyAllowsGroup(caller, group)) {
    throw new ShardcastError("forbidden", `API key "${caller.name}" is not scoped to consumer group "${group}"`);
  }
}

/**
 * Refuses (403) a request for a member joined with another key: a member id alone must not let
 * any key that may read the stream commit, read or leave for another team's member.
 */
export function checkMemberKey(caller: GroupCaller, member: Pick<ConsumerMemberInfo, "id" | "apiKeyId">, group: string): void {
  if (!ownedBy(caller, member)) {
    throw new ShardcastError("forbidden", `member "${member.id}" of consumer group "${group}" was joined with another API key; only that key may act for it`);
  }
}

/** Whether the caller may act for the member (a member joined before keys were recorded has no owner). */
export function ownedBy(caller: GroupCaller, member: Pick<ConsumerMemberInfo, "apiKeyId">): boolean {
  return member.apiKeyId === null || member.apiKeyId === caller.id;
}

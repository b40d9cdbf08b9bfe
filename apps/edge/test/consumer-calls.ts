import { expect } from "vitest";
import { post, type Harness } from "./harness.ts";

/** What consumer-group tests send and read over the edge's REST API. */

export const groupsPath = (h: Harness): string => `/v1/streams/${h.stream}/groups`;

export interface Assignment {
  shardletId: string;
  generation: number;
  position: number;
}

/** Joins `name` to `group`; the new member's id. */
export async function joinMember(h: Harness, group: string, name: string): Promise<string> {
  const res = await post(h, `${groupsPath(h)}/${group}/members`, { name });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return (res.body as { memberId: string }).memberId;
}

/** `n` events with ids `${tag}-${i}` and payload `{ i }`, acknowledged. */
export async function produceTagged(h: Harness, n: number, tag: string): Promise<void> {
  const events = Array.from({ length: n }, (_, i) => ({ key: `k-${tag}-${i}`, id: `${tag}-${i}`, type: "t", payload: { i } }));
  expect((await post(h, `/v1/streams/${h.stream}/events`, { events })).status).toBe(200);
}

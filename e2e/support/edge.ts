import { expect, type APIRequestContext } from "@playwright/test";
import { EDGE_URL } from "./env.ts";

/** An event as the edge's REST API takes it. */
export interface EdgeEvent {
  key: string;
  id?: string;
  type?: string;
  payload: unknown;
}

/**
 * Writes events to a stream through the edge and returns how many it accepted. Plain fetch, not a
 * test's request fixture, so a background producer can call it outside any test step; a refusal
 * throws with the edge's status and answer.
 */
export async function postEvents(stream: string, token: string, events: EdgeEvent[]): Promise<number> {
  const res = await fetch(`${EDGE_URL}/v1/streams/${stream}/events`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ events }),
  });
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return ((await res.json()) as { accepted: number }).accepted;
}

/** A consumer group of a stream, read with an API key's token. */
export interface GroupRef {
  stream: string;
  group: string;
  token: string;
}

/** What a member commits for one batch it was delivered. */
export interface Commit {
  shardletId: string;
  generation: number;
  position: number;
  events: number;
}

function groupUrl(ref: GroupRef): string {
  return `${EDGE_URL}/v1/streams/${ref.stream}/groups/${ref.group}/members`;
}

/**
 * The longest session the edge grants (its limit). Members here poll only when a test says so, and
 * a spec's later test counts on the members an earlier one joined: the session must outlive a whole
 * test in between (up to the config's 120 s timeout on a slow machine), or the checkpoint job expires it.
 */
const MEMBER_SESSION_MS = 300_000;

/** Joins a member to the group over REST and returns its id. */
export async function joinGroup(request: APIRequestContext, ref: GroupRef, name: string): Promise<string> {
  const res = await request.post(groupUrl(ref), { headers: { Authorization: `Bearer ${ref.token}` }, data: { name, sessionTimeoutMs: MEMBER_SESSION_MS } });
  expect(res.status(), await res.text()).toBe(201);
  return ((await res.json()) as { memberId: string }).memberId;
}

/** Polls once, committing what the previous poll delivered; returns this poll's commits. */
export async function pollGroup(
  request: APIRequestContext,
  ref: GroupRef,
  member: string,
  commits: Commit[],
): Promise<{ commits: Commit[]; delivered: number; shardlets: number }> {
  const res = await request.post(`${groupUrl(ref)}/${member}/poll`, {
    headers: { Authorization: `Bearer ${ref.token}` },
    data: { commits, limit: 500 },
  });
  expect(res.status(), await res.text()).toBe(200);
  const body = (await res.json()) as { batches: Array<{ shardletId: string; generation: number; events: unknown[]; next: number }>; assignments: unknown[] };
  return {
    commits: body.batches.map((b) => ({ shardletId: b.shardletId, generation: b.generation, position: b.next, events: b.events.length })),
    delivered: body.batches.reduce((n, b) => n + b.events.length, 0),
    shardlets: body.assignments.length,
  };
}

/**
 * Polls until the member holds shardlets and nothing is left to deliver (20 polls at most).
 * Returns the events delivered and the last answer's commits, which are not sent yet: poll once
 * more with them to commit them.
 */
export async function pollUntilDrained(request: APIRequestContext, ref: GroupRef, member: string): Promise<{ delivered: number; commits: Commit[] }> {
  let delivered = 0;
  let commits: Commit[] = [];
  for (let round = 0; round < 20; round++) {
    const r = await pollGroup(request, ref, member, commits);
    delivered += r.delivered;
    commits = r.commits;
    if (r.delivered === 0 && r.shardlets > 0) break;
  }
  return { delivered, commits };
}

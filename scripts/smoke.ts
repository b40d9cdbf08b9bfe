/**
 * `npm run smoke`: checks a running Shardcast end to end, as a new user would. It waits for the
 * console and the edge to answer, signs in to the console, creates a stream and an API key there,
 * sends an event to the edge and reads it back by key and by position. Exit code 0 means all of
 * that worked; otherwise the one step that failed is printed.
 * Settings: SHARDCAST_WEB_URL, SHARDCAST_EDGE_URL, SHARDCAST_ADMIN_EMAIL, SHARDCAST_ADMIN_PASSWORD,
 * SHARDCAST_SMOKE_TIMEOUT_MS (how long to wait for both to answer).
 */
import { randomUUID } from "node:crypto";
import { pollUntil } from "@shardcast/core";
import { loadSmokeConfig } from "./env.ts";
import { waitForHttp } from "./start/children.ts";

const say = (line: string) => process.stdout.write(`[smoke]   ${line}\n`);

class StepFailed extends Error {}

/** One tRPC call over plain HTTP (the console's transformer wraps values in `{json}`). */
async function trpc(webUrl: string, path: string, input: unknown, cookie: string | null): Promise<{ data: unknown; setCookie: string[] }> {
  const res = await fetch(`${webUrl}/api/trpc/${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      // The console refuses cross-site mutations; this client is same-origin by construction.
      origin: webUrl,
      ...(cookie ? { cookie } : {}),
    },
    body: JSON.stringify({ json: input }),
  });
  const body = (await res.json().catch(() => null)) as { result?: { data?: { json?: unknown } }; error?: { json?: { message?: string } } } | null;
  if (!res.ok || !body?.result) {
    throw new StepFailed(`console ${path} answered ${res.status}: ${body?.error?.json?.message ?? JSON.stringify(body)}`);
  }
  return { data: body.result.data?.json, setCookie: res.headers.getSetCookie() };
}

async function edge(edgeUrl: string, token: string, path: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(`${edgeUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers ?? {}) },
  });
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw new StepFailed(`edge ${init.method ?? "GET"} ${path} answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

async function main(): Promise<void> {
  const cfg = loadSmokeConfig();
  const deadline = Date.now() + cfg.SHARDCAST_SMOKE_TIMEOUT_MS;
  const waitFor = (url: string) => waitForHttp(url, { timeoutMs: Math.max(0, deadline - Date.now()) });
  await waitFor(`${cfg.SHARDCAST_WEB_URL}/api/health`);
  say("console answers");
  await waitFor(`${cfg.SHARDCAST_EDGE_URL}/healthz`);
  say("edge answers");

  const signIn = await trpc(cfg.SHARDCAST_WEB_URL, "auth.signIn", { email: cfg.SHARDCAST_ADMIN_EMAIL, password: cfg.SHARDCAST_ADMIN_PASSWORD }, null);
  const cookie = signIn.setCookie.map((c) => c.split(";")[0]).join("; ");
  if (!cookie) throw new StepFailed("sign-in set no session cookie");
  say(`signed in as ${cfg.SHARDCAST_ADMIN_EMAIL}`);

  const suffix = randomUUID().slice(0, 8);
  const stream = `smoke-${suffix}`;
  await trpc(cfg.SHARDCAST_WEB_URL, "streams.create", { name: stream, shardCount: 2 }, cookie);
  const key = (await trpc(cfg.SHARDCAST_WEB_URL, "apikeys.create", { name: `smoke-${suffix}`, streams: [stream] }, cookie)).data as { token?: string };
  if (!key.token) throw new StepFailed("the console returned no API key token");
  say(`created stream ${stream} and an API key for it`);

  const event = { key: `smoke-user-${suffix}`, id: `smoke-${suffix}`, type: "smoke", payload: { check: suffix, n: 1 } };
  const sent = (await edge(cfg.SHARDCAST_EDGE_URL, key.token, `/v1/streams/${stream}/events`, {
    method: "POST",
    body: JSON.stringify({ events: [event] }),
  })) as { accepted?: number; events?: Array<{ seq: number }> };
  const seq = sent.events?.[0]?.seq;
  if (sent.accepted !== 1 || typeof seq !== "number") throw new StepFailed(`the edge did not accept the event: ${JSON.stringify(sent)}`);
  say(`sent one event (position ${seq})`);

  type Read = { events?: Array<{ seq: number; key: string; payload: { check?: string } }> };
  const byKey = (await edge(cfg.SHARDCAST_EDGE_URL, key.token, `/v1/streams/${stream}/keys/${encodeURIComponent(event.key)}/events`)) as Read;
  if (!byKey.events?.some((e) => e.seq === seq && e.payload.check === suffix)) {
    throw new StepFailed(`reading key ${event.key} did not return the event: ${JSON.stringify(byKey)}`);
  }
  // The watermark may trail an acknowledged write by the sequence blocks still in flight elsewhere.
  let byPosition: Read = {};
  const token = key.token;
  const atSeq = await pollUntil(
    `reading after position ${seq - 1} to return the event`,
    async () => {
      byPosition = (await edge(cfg.SHARDCAST_EDGE_URL, token, `/v1/streams/${stream}/events?after=${seq - 1}&limit=10`)) as Read;
      return byPosition.events?.find((e) => e.seq === seq);
    },
    Math.max(0, deadline - Date.now()),
    { intervalMs: 250, explain: () => `last answer: ${JSON.stringify(byPosition)}` },
  );
  if (atSeq.payload.check !== suffix) {
    throw new StepFailed(`reading after position ${seq - 1} returned another event at ${seq}: ${JSON.stringify(byPosition)}`);
  }
  say("read it back by key and by position: the system works end to end");
}

main().catch((err: unknown) => {
  say(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

import { expect, test } from "@playwright/test";
import { createApiKey, createStreamInConsole, openAsAdmin, screenshot, signIn, uniqueName } from "../support/console.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD, EDGE_URL } from "../support/env.ts";

// Traffic with one dominant key and one named reader, then the stream page shows both once the
// edge has flushed its counters and the worker has rolled them up.
test.describe.configure({ mode: "serial" });

const stream = uniqueName("e2e-telemetry");
const hotKey = "celebrity-1";
let token = "";

test("an admin creates a stream and a key for it", async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  token = await createApiKey(page, "e2e-telemetry");
  await createStreamInConsole(page, { name: stream, shardCount: 2 });
  await expect(page.getByTestId("no-hot-keys")).toBeVisible();
});

test("writes, named reads and a hint reach the edge", async ({ request }) => {
  expect(token, "the first test must run first").not.toBe("");
  const headers = { Authorization: `Bearer ${token}` };
  const events = Array.from({ length: 300 }, (_, i) => ({ key: i % 3 === 0 ? `fan-${i}` : hotKey, type: "view", payload: { i } }));
  const res = await request.post(`${EDGE_URL}/v1/streams/${stream}/events`, { headers, data: { events } });
  expect(res.status(), await res.text()).toBe(200);

  for (let i = 0; i < 3; i++) {
    const read = await request.get(`${EDGE_URL}/v1/streams/${stream}/keys/${hotKey}/events?limit=50`, {
      headers: { ...headers, "x-shardcast-client": "e2e-dashboard", "x-shardcast-client-group": "e2e-readers" },
    });
    expect(read.status(), await read.text()).toBe(200);
  }

  const now = Date.now();
  const hint = await request.post(`${EDGE_URL}/v1/hints`, { headers, data: { stream, keys: [hotKey], eventsPerSec: 50, startsAt: now, endsAt: now + 3_600_000 } });
  expect(hint.status(), await hint.text()).toBe(201);
  const bad = await request.post(`${EDGE_URL}/v1/hints`, { headers, data: { stream, keys: [hotKey], eventsPerSec: 50, startsAt: now, endsAt: now + 30 * 86_400_000 } });
  expect(bad.status()).toBe(400);
  const listed = await request.get(`${EDGE_URL}/v1/hints?stream=${stream}`, { headers });
  expect(((await listed.json()) as { hints: unknown[] }).hints).toHaveLength(1);
});

test("the stream page shows the hot key and the named reader", async ({ page }) => {
  await openAsAdmin(page, `/streams/${stream}`);
  // The edge flushes and the worker rolls up within seconds in this suite (playwright.config.ts);
  // the page refreshes every 10 s.
  const firstKey = page.getByTestId("hot-key-row").first();
  await expect(firstKey).toContainText(hotKey, { timeout: 60_000 });
  await expect(firstKey).toContainText("200");
  const reader = page.getByTestId("top-client-row").first();
  await expect(reader).toContainText("e2e-dashboard", { timeout: 30_000 });
  await expect(reader).toContainText("e2e-readers");
  // Each read is counted on its own (a write batch at once): an edge flush between the three reads
  // leaves the rest for the next flush, rollup and page refresh (up to about 25 s later at the
  // default periods).
  await expect(reader).toContainText("150", { timeout: 45_000 });
  await screenshot(page, "stream-telemetry");
});

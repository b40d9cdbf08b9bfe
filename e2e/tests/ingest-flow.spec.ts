import { expect, test } from "@playwright/test";
import { createApiKey, createStreamInConsole, openAsAdmin, screenshot, signIn, uniqueName } from "../support/console.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD, EDGE_URL } from "../support/env.ts";

// One story told in order: a key, a stream, events over REST, then the console shows them.
test.describe.configure({ mode: "serial" });

const SHARDS = 3;
const SHARDLETS_PER_SHARD = 2;
const stream = uniqueName("e2e-orders");
const spreadKeys = Array.from({ length: 200 }, (_, i) => `customer-${i}`);
const markerKeys = ["marker-alpha", "marker-bravo", "marker-charlie"];
let token = "";

test("the admin creates an API key and reads its token once", async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  token = await createApiKey(page, "e2e-producer");
  await expect(page.getByTestId("api-key-row-e2e-producer")).toContainText("active");
  // The list never shows the secret part again.
  await expect(page.getByTestId("api-keys-table")).not.toContainText(token);
  await screenshot(page, "api-keys");
});

test("the create-stream form explains invalid input", async ({ page }) => {
  await openAsAdmin(page, "/streams");
  await page.getByTestId("stream-name").fill("Bad Name!");
  await page.getByTestId("stream-shardCount").fill("0");
  await page.getByTestId("create-stream-submit").click();
  await expect(page.getByTestId("stream-name-error")).toContainText("stream name may use");
  await expect(page.getByTestId("stream-shardCount-error")).toContainText("from 1 to 1024");
  await screenshot(page, "streams-validation");
});

test(`the admin creates a stream with ${SHARDS} shards`, async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await createStreamInConsole(page, { name: stream, shardCount: SHARDS, shardletsPerShard: SHARDLETS_PER_SHARD });
  await expect(page.getByTestId("shards-table").locator("tbody tr")).toHaveCount(SHARDS);
  await expect(page.getByTestId("stream-shardlet-row")).toHaveCount(SHARDS * SHARDLETS_PER_SHARD);
  await expect(page.getByTestId("no-events")).toBeVisible();
  await expect(page.getByTestId("curl-example")).toContainText(`${EDGE_URL}/v1/streams/${stream}/events`);

  await page.goto("/streams");
  await expect(page.getByTestId(`stream-row-${stream}`)).toContainText(String(SHARDS));

  // A second stream of the same name is refused with the API's message.
  await page.getByTestId("stream-name").fill(stream);
  await page.getByTestId("create-stream-submit").click();
  await expect(page.getByTestId("create-stream-error")).toContainText("already exists");
});

test("events sent over REST are acknowledged by the edge", async ({ request }) => {
  expect(token, "the API key test must run first").not.toBe("");
  const url = `${EDGE_URL}/v1/streams/${stream}/events`;
  const headers = { Authorization: `Bearer ${token}` };

  const batch = spreadKeys.map((key, i) => ({ key, type: i % 3 === 0 ? "order.created" : "order.paid", payload: { amount: i } }));
  const first = await request.post(url, { headers, data: { events: batch } });
  expect(first.status(), await first.text()).toBe(200);
  expect((await first.json()) as { accepted: number }).toMatchObject({ accepted: spreadKeys.length });

  // Sent last, so these are the newest events of the stream.
  const markers = markerKeys.map((key) => ({ key, id: `${key}-1`, type: "marker", payload: { note: "e2e" } }));
  const second = await request.post(url, { headers, data: { events: markers } });
  expect(second.status(), await second.text()).toBe(200);
  expect((await second.json()) as { accepted: number }).toMatchObject({ accepted: markerKeys.length });

  const unauthorized = await request.post(url, { data: { events: markers } });
  expect(unauthorized.status()).toBe(401);
});

test("the stream page lists the new events by key", async ({ page }) => {
  await openAsAdmin(page, `/streams/${stream}`);
  const keys = page.getByTestId("event-key");
  for (const key of markerKeys) await expect(keys.filter({ hasText: key })).toHaveCount(1);
  await expect(page.getByTestId("events-table")).toContainText("marker");
  await screenshot(page, "stream");
});

test("the shard map shows the stream's shardlets with event counts after accounting", async ({ page }) => {
  await openAsAdmin(page, "/shard-map");
  await page.getByTestId("shardmap-stream-filter").selectOption({ label: stream });
  const rows = page.locator(`[data-testid="shardlet-row"][data-stream="${stream}"]`);
  await expect(rows).toHaveCount(SHARDS * SHARDLETS_PER_SHARD);

  // The worker's accounting job folds host totals into the shard map every few seconds.
  const total = spreadKeys.length + markerKeys.length;
  await expect
    .poll(
      async () => {
        const counts = await Promise.all((await rows.all()).map(async (row) => Number(await row.getAttribute("data-events"))));
        return { total: counts.reduce((a, b) => a + b, 0), empty: counts.filter((c) => c === 0).length };
      },
      { timeout: 90_000, message: "event counts on the shard map" },
    )
    .toEqual({ total, empty: 0 });
  await expect(rows.first().getByTestId("shardlet-epoch")).toHaveText(/^\d+$/);
  await screenshot(page, "shard-map");

  await page.goto(`/streams/${stream}`);
  await expect(page.getByTestId(`stream-shardlet-row`).first()).toBeVisible();
});

test("the other console pages render", async ({ page }) => {
  await openAsAdmin(page, "/");
  await expect(page.getByTestId("stat-streams")).not.toHaveText("0");
  await screenshot(page, "overview");
  await page.goto("/hosts");
  await expect(page.getByTestId("hosts-table").locator("tbody tr")).not.toHaveCount(0);
  // DSNs are secrets: the console shows them with the password masked.
  for (const dsn of await page.getByTestId("host-dsn").allTextContents()) expect(dsn).not.toMatch(/:[^:@/*]+@/);
  await screenshot(page, "hosts");
  await page.goto("/operations");
  await expect(page.getByTestId("operations-table")).toContainText("stream.create");
  await screenshot(page, "operations");
  await page.goto("/streams");
  await screenshot(page, "streams");
});

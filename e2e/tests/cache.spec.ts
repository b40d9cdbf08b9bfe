import { expect, test } from "@playwright/test";
import { createApiKey, createStreamInConsole, createUser, openAsAdmin, openPageAs, screenshot, signIn, uniqueName } from "../support/console.ts";
import { joinGroup, pollGroup, pollUntilDrained } from "../support/edge.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD, EDGE_URL, WEB_URL } from "../support/env.ts";

// The edges' read cache from the console: a consumer group reads a stream through the edge, the
// Cache & prefetch page shows the edge's hit ratio once its next snapshot is in, an admin changes
// the prefetch threshold and finds it in the change history, and a viewer only reads the settings.
test.describe.configure({ mode: "serial" });

const stream = uniqueName("e2e-cached");
const group = "e2e-cache-readers";
const viewer = { email: `${uniqueName("cache-viewer")}@example.com`, password: "viewer-password-1" };
let token = "";

test("the admin creates a key, a stream and a viewer", async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  token = await createApiKey(page, "e2e-cache");
  await createStreamInConsole(page, { name: stream, shardCount: 2, shardletsPerShard: 2 });

  await createUser(page, { name: "Cay Viewer", email: viewer.email, password: viewer.password, role: "viewer" });
});

test("a consumer reads through the edge and the page shows the edge's hit ratio", async ({ page, request }) => {
  expect(token, "the first test must run first").not.toBe("");
  const readers = { stream, group, token };
  const member = await joinGroup(request, readers, "cache-reader");
  // Typed events, so the correlation job has types to count against the reads that follow.
  for (const type of ["order.placed", "order.paid"]) {
    const events = Array.from({ length: 200 }, (_, i) => ({ key: `customer-${i}`, type, payload: { i } }));
    const sent = await request.post(`${EDGE_URL}/v1/streams/${stream}/events`, { headers: { Authorization: `Bearer ${token}` }, data: { events } });
    expect(sent.status(), await sent.text()).toBe(200);
  }
  const { delivered, commits } = await pollUntilDrained(request, readers, member);
  await pollGroup(request, readers, member, commits);
  expect(delivered).toBeGreaterThanOrEqual(400);
  // A second group reads the same events: the edge answers it from the entries the first filled.
  const auditors = { stream, group: `${group}-audit`, token };
  const auditor = await joinGroup(request, auditors, "cache-auditor");
  const { delivered: audited } = await pollUntilDrained(request, auditors, auditor);
  expect(audited).toBeGreaterThanOrEqual(400);

  await openAsAdmin(page, `/streams/${stream}`);
  await page.getByTestId("nav-cache").click();
  await expect(page).toHaveURL(/\/cache$/);
  await expect(page.getByRole("heading", { name: "Cache & prefetch" })).toBeVisible();
  await page.getByTestId("cache-stream").selectOption(stream);
  await expect(page).toHaveURL(new RegExp(`/cache\\?stream=${stream}$`));

  // The edge sends its snapshot every few seconds; the page refreshes every five.
  const readRow = page.locator('[data-testid="edge-cache-row"]:not([data-reads="0"])').first();
  await expect(readRow).toBeVisible({ timeout: 30_000 });
  await expect(readRow.getByTestId("edge-hit-ratio")).toHaveText(/^\d+(\.\d)?%$/);
  await expect(readRow.getByTestId("edge-budget")).toContainText(" of ");
  // A count the edge sends, of announcements waiting for their first read.
  await expect(readRow.getByTestId("edge-waiting")).toHaveText(/^\d[\d,]*$/);
  // The second group's reads were hits on this stream's shardlets.
  await expect(page.locator('[data-testid="cached-shardlet"]:not([data-hits="0"])').filter({ hasText: stream }).first()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("hit-ratio-chart").or(page.getByTestId("hit-ratio-chart-empty"))).toBeVisible();
  // The worker publishes a map only once it has seen types and the reads after them: either state is explained.
  await expect(page.getByTestId("prefetch-map").or(page.getByTestId("prefetch-map-empty"))).toBeVisible();
  await expect(page.getByTestId("type-rates").or(page.getByTestId("type-rates-empty"))).toBeVisible();
  await screenshot(page, "cache");

  // The stream's page links to the same view.
  await page.goto(`/streams/${stream}`);
  await page.getByTestId("cache-link").click();
  await expect(page.getByTestId("cache-stream")).toHaveValue(stream);
});

test("an admin changes the prefetch threshold, validated, and finds it in the change history", async ({ page }) => {
  await openAsAdmin(page, "/settings");
  const section = page.getByTestId("cache-settings");
  await expect(section.getByTestId("cache-settings-updated")).toHaveText("defaults (never changed)");
  await expect(section.getByTestId("rc-prefetchThreshold")).toHaveValue("0.5");

  await section.getByTestId("rc-prefetchThreshold").fill("0");
  await section.getByTestId("cache-settings-save").click();
  await expect(section.getByTestId("rc-prefetchThreshold-error")).toHaveText("prefetch threshold must be at least 0.01");
  await expect(section.getByTestId("cache-settings-saved")).toHaveCount(0);

  await section.getByTestId("rc-prefetchThreshold").fill("0.45");
  await section.getByTestId("cache-settings-save").click();
  await expect(section.getByTestId("cache-settings-saved")).toHaveText("Saved 1 change.");
  await section.getByText(/^Change history \(\d+\)$/).click();
  await expect(section.getByTestId("cache-settings-audit-row").first()).toContainText("prefetchThreshold 0.5 → 0.45");
  await expect(section.getByTestId("cache-settings-updated")).toContainText("changed");

  await page.reload();
  await expect(page.getByTestId("rc-prefetchThreshold")).toHaveValue("0.45");
  await screenshot(page, "cache-settings");
});

test("an admin lists payload fields to correlate on: a bad path is refused and stores nothing, a good list persists", async ({ page }) => {
  await openAsAdmin(page, "/settings");
  const section = page.getByTestId("cache-settings");
  await expect(section.getByTestId("rc-correlateFields")).toHaveValue("");
  await section.getByTestId("rc-correlateFields").fill("user, geo..region");
  await section.getByTestId("cache-settings-save").click();
  await expect(section.getByTestId("rc-correlateFields-hint")).toContainText("up to four dot-separated names");
  await expect(section.getByTestId("rc-correlateFields")).toHaveAttribute("aria-invalid", "true");
  await expect(section.getByTestId("cache-settings-saved")).toHaveCount(0);

  await section.getByTestId("rc-correlateFields").fill("user, geo.region");
  await section.getByTestId("cache-settings-save").click();
  await expect(section.getByTestId("cache-settings-saved")).toHaveText("Saved 1 change.");
  await page.reload();
  await expect(page.getByTestId("rc-correlateFields")).toHaveValue("user, geo.region");

  // Back to types only, as the later specs expect.
  await page.getByTestId("rc-correlateFields").fill("");
  await page.getByTestId("cache-settings-save").click();
  await expect(page.getByTestId("cache-settings-saved")).toHaveText("Saved 1 change.");
});

test("a viewer sees the cache page and the cache settings read-only", async ({ browser }) => {
  const page = await openPageAs(browser, viewer);
  await page.getByTestId("nav-cache").click();
  await expect(page.getByTestId("edge-cache-row").first()).toBeVisible();

  await page.goto("/settings");
  const section = page.getByTestId("cache-settings");
  await expect(section.getByTestId("cache-settings-readonly")).toBeVisible();
  await expect(section.getByTestId("rc-prefetchThreshold")).toHaveValue("0.45");
  await expect(section.getByTestId("rc-prefetchThreshold")).toBeDisabled();
  await expect(section.getByTestId("rc-prefetchEnabled")).toBeDisabled();
  await expect(section.getByTestId("cache-settings-save")).toHaveCount(0);

  // The server refuses too, for a request the page itself could have sent.
  const res = await page.request.post("/api/trpc/cache.updateSettings", {
    data: { json: { prefetchEnabled: false, prefetchThreshold: 0.5, minLift: 1.5, topPerType: 8 } },
    headers: { origin: WEB_URL },
  });
  expect(res.status()).toBe(403);
  expect(await res.text()).toMatch(/needs the admin role/);
  await page.context().close();
});

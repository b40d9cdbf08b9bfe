import { expect, test, type Page } from "@playwright/test";
import { createApiKey, createStreamInConsole, createUser, openPageAs, screenshot, trpcQuery, uniqueName } from "../support/console.ts";
import { postEvents } from "../support/edge.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD, WEB_URL } from "../support/env.ts";
import { startProducer } from "../support/producer.ts";

// One story in order: an admin adds the people and a key, a viewer only looks, an operator
// shrinks the thresholds while a producer writes, and the shard map shows the splits.
test.describe.configure({ mode: "serial" });

const stream = uniqueName("e2e-lifecycle");
const operator = { email: `${uniqueName("operator")}@example.com`, password: "operator-password-1" };
const viewer = { email: `${uniqueName("viewer")}@example.com`, password: "viewer-password-1" };
let token = "";

/** Rows of the stream on the shard map (live shardlets only, as the map shows by default). */
function streamRows(page: Page) {
  return page.locator(`[data-testid="shardlet-row"][data-stream="${stream}"]`);
}

test("the admin adds an operator, a viewer and a producer key", async ({ browser }) => {
  const admin = await openPageAs(browser, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  await createUser(admin, { name: "Otto Operator", ...operator, role: "operator" });
  await createUser(admin, { name: "Vic Viewer", ...viewer, role: "viewer" });
  token = await createApiKey(admin, uniqueName("lifecycle-producer"));
  await admin.context().close();
});

test("a viewer sees the lifecycle settings but cannot change them", async ({ browser }) => {
  const page = await openPageAs(browser, viewer);
  await page.getByTestId("nav-settings").click();
  await expect(page.getByTestId("settings-readonly")).toBeVisible();
  await expect(page.getByTestId("settings-splitThreshold")).toHaveValue("0.8");
  await expect(page.getByTestId("settings-splitThreshold")).toBeDisabled();
  await expect(page.getByTestId("settings-capacity")).toBeDisabled();
  await expect(page.getByTestId("settings-submit")).toHaveCount(0);
  await screenshot(page, "settings-viewer");

  // The server refuses as well: the viewer's own session posting a change.
  // Same-origin, as the page itself would send it: the refusal is the role's, not the origin check's.
  const headers = { origin: WEB_URL };
  const res = await page.request.post("/api/trpc/settings.update", { data: { json: { splitThreshold: 0.5, mergeThreshold: 0.1 } }, headers });
  expect(res.status()).toBe(403);
  expect(await res.text()).toMatch(/needs the \w+ role/);
  const split = await page.request.post("/api/trpc/shardmap.split", { data: { json: { shardletId: "any" } }, headers });
  expect(split.status()).toBe(403);
  expect(await split.text()).toMatch(/needs the \w+ role/);
  await page.context().close();
});

test("an operator lowers the split threshold while events flow and sees shardlets split", async ({ browser }) => {
  test.setTimeout(240_000);
  expect(token, "the first test creates the producer key").not.toBe("");
  const page = await openPageAs(browser, operator);
  await page.goto("/settings");
  const form = page.getByTestId("settings-form");
  const auditRows = page.getByTestId("settings-audit-row");
  await expect(page.getByTestId("settings-splitThreshold")).toHaveValue("0.8");
  const auditBefore = await auditRows.count();

  // An invalid value shows the field's message and stores nothing.
  await page.getByTestId("settings-splitThreshold").fill("1.5");
  await page.getByTestId("settings-submit").click();
  await expect(page.getByTestId("settings-splitThreshold-error")).toHaveText("split threshold must be at most 0.99");
  await expect(page.getByTestId("settings-splitThreshold")).toHaveAttribute("aria-invalid", "true");
  await screenshot(page, "settings-invalid");
  await page.reload();
  await expect(page.getByTestId("settings-splitThreshold")).toHaveValue("0.8");
  await expect(auditRows).toHaveCount(auditBefore);

  // Small shardlets first, so the stream created next fills them within seconds.
  await page.getByTestId("settings-capacity").fill("64");
  await page.getByTestId("settings-capacity-unit").selectOption("KiB");
  await expect(form).toContainText("65,536 bytes");
  await page.getByTestId("settings-submit").click();
  await expect(page.getByTestId("settings-saved")).toContainText("Saved 1 change");
  await expect(auditRows.first().getByTestId("audit-change-initialCapacityBytes")).toHaveText("Initial shardlet capacity: 10 MiB → 64 KiB");
  await expect(auditRows.first()).toContainText(operator.email);

  await createStreamInConsole(page, { name: stream, shardCount: 1, shardletsPerShard: 2 });

  // Small batches at a steady pace (about 20 events/s), so shardlets fill in seconds against a
  // 64 KiB capacity. Every batch must be acknowledged, splits or not.
  const producer = startProducer({
    batchSize: 5,
    event: (n) => ({ key: `user-${n % 997}`, id: `lc-${n}`, type: "lifecycle.test", payload: { n, pad: "x".repeat(100) } }),
    send: (events) => postEvents(stream, token, events),
  });
  try {
    await page.goto("/shard-map");
    await page.getByTestId("shardmap-stream-filter").selectOption({ label: stream });
    const rows = streamRows(page);
    await expect(rows).toHaveCount(2);
    await expect(rows.first()).toContainText("/ 64 KiB");
    // Events are flowing and accounted before the threshold changes.
    await expect
      .poll(async () => Number(await rows.first().getAttribute("data-events")), { timeout: 60_000, message: "events reach the stream" })
      .toBeGreaterThan(0);
    const before = await rows.count();

    await page.goto("/settings");
    await page.getByTestId("settings-splitThreshold").fill("0.25");
    await page.getByTestId("settings-submit").click();
    // The merge threshold must stay under half the split threshold: the form says so on that field.
    await expect(page.getByTestId("settings-mergeThreshold-error")).toContainText("less than half the split threshold");
    await page.getByTestId("settings-mergeThreshold").fill("0.05");
    await page.getByTestId("settings-submit").click();
    await expect(page.getByTestId("settings-saved")).toContainText("Saved 2 changes");
    const change = auditRows.first();
    await expect(change.getByTestId("audit-change-splitThreshold")).toHaveText("Split threshold: 0.8 (80%) → 0.25 (25%)");
    await expect(change.getByTestId("audit-change-mergeThreshold")).toHaveText("Merge threshold: 0.2 (20%) → 0.05 (5%)");
    await expect(change).toContainText(operator.email);
    await screenshot(page, "settings");

    // No restart: the worker's next scans split the filling shardlets.
    await page.goto("/shard-map");
    await page.getByTestId("shardmap-stream-filter").selectOption({ label: stream });
    await expect
      .poll(async () => streamRows(page).count(), { timeout: 120_000, message: "shardlets of the stream after the threshold change" })
      .toBeGreaterThan(before);
    await expect(streamRows(page).getByTestId("shardlet-lineage").filter({ hasText: /^split from 0x[0-9a-f]{8}–0x[0-9a-f]{8}$/ }).first()).toBeVisible();
    await screenshot(page, "shard-map-split");

    // The retired parent is still there when asked for.
    await page.getByTestId("shardmap-show-retired").check();
    await expect(streamRows(page).and(page.locator('[data-state="retired"]')).first()).toBeVisible();
    await screenshot(page, "shard-map-retired");
  } finally {
    const result = await producer.stop();
    expect(result.errors, "every batch is acknowledged while shardlets split").toEqual([]);
    expect(result.acked).toBeGreaterThan(0);
  }
  await page.context().close();
});

test("the operations page lists the split and its lifecycle job", async ({ browser }) => {
  const page = await openPageAs(browser, operator);
  await page.goto("/operations");
  await expect(page.getByTestId("lifecycle-job-row").filter({ hasText: stream }).first()).toBeVisible();
  await page.getByTestId("ops-filter-splits").click();
  await expect(page.getByTestId("ops-filter-splits")).toHaveAttribute("aria-pressed", "true");
  // Attribute selectors, not a snapshot of the rows: the list re-renders every 2 seconds.
  await expect(page.locator('[data-testid="operation-row"]:not([data-kind^="shardlet.split"])')).toHaveCount(0);
  await expect(page.locator('[data-testid="operation-row"][data-kind="shardlet.split"]').first()).toContainText("succeeded");
  await screenshot(page, "operations-lifecycle");

  await page.goto("/");
  await expect(page.getByTestId("stat-splits")).not.toHaveText("0");
  await screenshot(page, "overview-lifecycle");

  await page.context().close();
});

test("an operator splits a shardlet and merges it back by hand", async ({ browser }) => {
  const page = await openPageAs(browser, operator);
  // Stock thresholds, automatic changes off: only the manual actions below change the map.
  await page.goto("/settings");
  await page.getByTestId("settings-defaults").click();
  await page.getByTestId("settings-enabled").uncheck();
  await page.getByTestId("settings-submit").click();
  await expect(page.getByTestId("settings-saved")).toBeVisible();
  await expect(page.getByTestId("settings-splitThreshold")).toHaveValue("0.8");
  await expect(page.getByTestId("settings-enabled")).not.toBeChecked();
  // The previous test stopped its producer while its shardlets were still filling: splits the scans
  // started before the change may still be running, and one landing now would be counted as ours.
  const streams = await trpcQuery<{ streams: Array<{ id: string; name: string }> }>(page, "streams.list");
  const streamId = streams.streams.find((s) => s.name === stream)!.id;
  await expect
    .poll(async () => (await trpcQuery<{ jobs: Array<{ running: boolean }> }>(page, "operations.lifecycleJobs", { streamId, limit: 200 })).jobs.filter((j) => j.running).length, {
      timeout: 60_000,
      message: "the automatic splits in flight end",
    })
    .toBe(0);

  await page.goto("/shard-map");
  await page.getByTestId("shardmap-stream-filter").selectOption({ label: stream });
  const rows = streamRows(page);
  await expect(rows.first()).toBeVisible();
  const before = await rows.count();
  // By id from here on: the map re-renders every 2 s and "first" changes with the split.
  const first = (await rows.first().getAttribute("data-id"))!;
  const row = (id: string) => page.locator(`[data-testid="shardlet-row"][data-id="${id}"]`);
  // The lineage's title names the parents by id.
  const lineage = (kind: "split" | "merge", ...ids: string[]) =>
    rows.filter({ has: page.locator(`[data-testid="shardlet-lineage"][data-kind="${kind}"]${ids.map((id) => `[title*="${id}"]`).join("")}`) });

  await row(first).getByTestId("shardlet-split").click();
  await expect(page.getByTestId("shardmap-action-result")).toContainText(/Split of shardlet 0x[0-9a-f]{8}–0x[0-9a-f]{8} queued/);
  await expect(rows).toHaveCount(before + 1, { timeout: 60_000 });
  await expect(row(first)).toHaveCount(0);
  await expect(lineage("split", first)).toHaveCount(2);
  const map = await trpcQuery<{ hosts: Array<{ shardlets: Array<{ id: string; range: { lo: number }; lineage: { kind: string; parent?: { id: string } } }> }> }>(
    page,
    "shardmap.byHost",
    { streamId, includeRetired: false },
  );
  const [left, right] = map.hosts
    .flatMap((h) => h.shardlets)
    .filter((s) => s.lineage.kind === "split" && s.lineage.parent?.id === first)
    .sort((a, b) => a.range.lo - b.range.lo)
    .map((s) => s.id);
  expect(left && right, "the split's two children").toBeTruthy();

  // The split's left child has its right sibling on the same host: merge them again.
  await row(left!).getByTestId("shardlet-merge").click();
  await expect(page.getByTestId("shardmap-action-result")).toContainText(/Merge into shardlet 0x[0-9a-f]{8}–0x[0-9a-f]{8} queued/);
  await expect(rows).toHaveCount(before, { timeout: 60_000 });
  const merged = lineage("merge", left!, right!);
  await expect(merged).toHaveCount(1);
  await expect(merged.getByTestId("shardlet-lineage")).toHaveText(/^merged from 0x[0-9a-f]{8}–0x[0-9a-f]{8} \+ 0x[0-9a-f]{8}–0x[0-9a-f]{8}$/);
  await screenshot(page, "shard-map-merged");
  await page.getByTestId("shardmap-stream-filter").selectOption("");
  await expect(page.getByTestId("shardlet-row").first()).toBeVisible();
  await screenshot(page, "shard-map-all");

  await page.goto("/operations");
  await page.getByTestId("ops-filter-merges").click();
  const merges = page.getByTestId("operation-row");
  await expect(merges.filter({ hasText: operator.email }).first()).toBeVisible();
  await expect(page.locator('[data-testid="operation-row"][data-kind="shardlet.merge"]').first()).toContainText("succeeded");
  await expect(page.locator('[data-testid="lifecycle-job-row"][data-kind="merge"][data-phase="done"]').first()).toBeVisible();

  // Automatic changes back on, so later tests see the stock behaviour.
  await page.goto("/settings");
  await page.getByTestId("settings-enabled").check();
  await page.getByTestId("settings-submit").click();
  await expect(page.getByTestId("settings-saved")).toBeVisible();
  await page.context().close();
});

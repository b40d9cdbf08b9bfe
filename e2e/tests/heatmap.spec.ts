import { expect, test, type Page } from "@playwright/test";
import { createApiKey, createStreamInConsole, screenshot, signIn, signInAsNewUser, uniqueName, useSecondsSeries } from "../support/console.ts";
import { postEvents } from "../support/edge.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD, WEB_URL } from "../support/env.ts";
import { startProducer } from "../support/producer.ts";

// One story: a stream with one hot key, its telemetry rolled up, an analyzer run asked for from the
// console, and the heatmap showing the actual past beside the forecast, down to one shardlet.
test.describe.configure({ mode: "serial" });

const stream = uniqueName("e2e-heat");
let token = "";

/** What the tests read of a cell element (the e2e project has no DOM typings). */
type CellElement = { getAttribute(name: string): string | null };

/** The largest actual value on the map and the shardlet it belongs to. */
async function hottestActual(page: Page): Promise<{ value: number; shardlet: string | null; index: number }> {
  return page.locator('[data-testid="heatmap-cell"][data-kind="actual"]').evaluateAll((cells: CellElement[]) => {
    let best = { value: 0, shardlet: null as string | null, index: -1 };
    cells.forEach((c, index) => {
      const v = Number(c.getAttribute("data-value") || "0");
      if (v > best.value) best = { value: v, shardlet: c.getAttribute("data-shardlet"), index };
    });
    return best;
  });
}

test("the admin creates a producer key and a stream", async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await useSecondsSeries(page);
  token = await createApiKey(page, uniqueName("heat-producer"));
  await createStreamInConsole(page, { name: stream, shardCount: 2, shardletsPerShard: 2 });
});

test("the heatmap shows actual and forecast cells, and a hot cell opens the shardlet's forecast chart", async ({ page }) => {
  test.setTimeout(240_000);
  expect(token, "the first test creates the producer key").not.toBe("");
  // Three of four events on one key (its shardlet runs hot), the rest spread, at about 40 events/s.
  // Every batch must be acknowledged.
  const producer = startProducer({
    batchSize: 10,
    event: (n) => ({ key: n % 4 === 3 ? `user-${n % 501}` : "celebrity", id: `heat-${n}`, type: "page.view", payload: { n } }),
    send: (events) => postEvents(stream, token, events),
  });
  try {
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await page.getByTestId("nav-heatmap").click();
    await expect(page).toHaveURL(/\/heatmap$/);
    await page.getByTestId("heatmap-stream").selectOption({ label: stream });
    await expect(page.getByTestId("heatmap-row")).toHaveCount(4);
    // New streams only propose until an operator says otherwise.
    await expect(page.getByTestId("mode-forecast_only")).toHaveAttribute("aria-pressed", "true");

    // The map's past ends where the latest analyzer run's forecast starts (15 s before that run),
    // so the hot buckets show once the edge has flushed, the worker rolled them up and a scheduled
    // run came after: about 30 s with this suite's periods (playwright.config.ts), about 80 s at
    // the defaults, which the timeout still covers. Then an analyzer run asked for from the console
    // forecasts from them.
    await expect
      .poll(async () => (await hottestActual(page)).value, { timeout: 120_000, message: "rolled-up telemetry shows on the map" })
      .toBeGreaterThan(5);
    await page.getByTestId("analyzer-run-now").click();
    await expect(page.locator('[data-testid="analyzer-run-status"][data-state="completed"]')).toBeVisible({ timeout: 60_000 });

    const forecastCells = page.locator('[data-testid="heatmap-cell"][data-kind="forecast"]');
    await expect.poll(async () => forecastCells.count(), { timeout: 30_000, message: "forecast cells of the run" }).toBeGreaterThan(0);
    const actualCells = page.locator('[data-testid="heatmap-cell"][data-kind="actual"]');
    expect(await actualCells.count()).toBeGreaterThan(0);
    // Every row has forecast cells right of the "now" line, with values.
    await expect(page.getByTestId("heatmap-now")).toBeVisible();
    const forecastValues = await forecastCells.evaluateAll((cells: CellElement[]) => cells.map((c) => c.getAttribute("data-value")));
    expect(forecastValues.length % 4).toBe(0);
    expect(forecastValues.every((v) => v !== null && v !== "" && Number.isFinite(Number(v)))).toBe(true);
    await expect(page.getByTestId("heatmap-legend")).toContainText("overload");
    await expect(page.getByTestId("heatmap-run")).toContainText("Forecast by");

    // The hot key's shardlet is the hottest: hovering shows its figures, clicking opens it.
    const hot = await hottestActual(page);
    expect(hot.shardlet).not.toBeNull();
    const cell = actualCells.nth(hot.index);
    await cell.hover();
    await expect(page.getByTestId("heatmap-tooltip")).toContainText("actual");
    await cell.click();
    const panel = page.getByTestId("shardlet-panel");
    await expect(panel).toBeVisible();
    await expect(panel).toHaveAttribute("data-shardlet", hot.shardlet!);
    const chart = panel.getByTestId("forecast-chart");
    await expect(chart).toBeVisible();
    // recharts draws one path per series: actual and forecast at least.
    await expect.poll(async () => chart.locator("path.recharts-line-curve").count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    await expect(panel).toContainText(stream);
    await screenshot(page, "heatmap");

    // The mode toggle is the operator's: act, then back to forecast only.
    await page.getByTestId("mode-act").click();
    await expect(page.getByTestId("mode-act")).toHaveAttribute("aria-pressed", "true");
    await expect(page.getByTestId("heatmap-action-result")).toContainText("acts on this stream's predictions");
    await page.getByTestId("mode-forecast_only").click();
    await expect(page.getByTestId("mode-forecast_only")).toHaveAttribute("aria-pressed", "true");

    await panel.getByTestId("shardlet-panel-close").click();
    await expect(panel).toHaveCount(0);

    // Reads beside writes: nobody reads this stream, so its read map is cold where writes ran hot,
    // and its scale ends at the replica threshold instead of the overload one.
    await page.getByTestId("heatmap-metric-reads").click();
    await expect(page.getByTestId("heatmap-metric-reads")).toHaveAttribute("aria-pressed", "true");
    await expect(page.locator("#heatmap-h")).toHaveText("Reads (reads/s)");
    await expect(page.getByTestId("heatmap-legend")).toContainText("replica");
    await expect(page.getByTestId("heatmap-row")).toHaveCount(4);
    await expect.poll(async () => (await hottestActual(page)).value, { timeout: 15_000, message: "the read map shows reads, not writes" }).toBe(0);
    await page.getByTestId("heatmap-metric-writes").click();
    await expect(page.getByTestId("heatmap-legend")).toContainText("overload");
    await expect.poll(async () => (await hottestActual(page)).value, { timeout: 15_000 }).toBeGreaterThan(5);
  } finally {
    const result = await producer.stop();
    expect(result.errors, "every batch is acknowledged").toEqual([]);
    expect(result.acked).toBeGreaterThan(0);
  }
});

test("a viewer reads the heatmap but cannot change the analyzer", async ({ page, browser }) => {
  // The admin's own session posts as a viewer would not: the API refuses viewers' changes.
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  const { page: vpage, context } = await signInAsNewUser(page, browser, { name: "Vera Viewer", prefix: "heat-viewer", role: "viewer" });
  await vpage.goto("/heatmap");
  await vpage.getByTestId("heatmap-stream").selectOption({ label: stream });
  await expect(vpage.getByTestId("heatmap-row")).toHaveCount(4);
  await expect(vpage.getByTestId("analyzer-run-now")).toHaveCount(0);
  await expect(vpage.getByTestId("mode-act")).toBeDisabled();
  // Same-origin, as the page itself would send it: the refusal is the role's, not the origin check's.
  const res = await vpage.request.post("/api/trpc/analyzer.runNow", { data: { json: {} }, headers: { origin: WEB_URL } });
  expect(res.status()).toBe(403);
  expect(await res.text()).toMatch(/needs the \w+ role/);
  await context.close();
});

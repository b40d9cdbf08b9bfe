import { expect, test } from "@playwright/test";
import { screenshot, signIn } from "../support/console.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD } from "../support/env.ts";

// The what-if page: the current thresholds in a form, a bad draft refused field by field, and a
// run of the six policies on the shipped trace with a table and a chart.
test("an operator tries thresholds on the what-if page before applying them", async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.getByTestId("nav-what-if").click();
  await expect(page).toHaveURL(/\/what-if$/);
  await expect(page.getByRole("heading", { name: "What-if" })).toBeVisible();

  // The form starts from the stored settings (other specs may have changed them: read them).
  await expect(page.getByTestId("whatif-lifecycle-splitThreshold")).toHaveValue(/^0?\.\d+$/);
  const storedTolerance = await page.getByTestId("whatif-rebalance-tolerance").inputValue();
  expect(Number(storedTolerance)).toBeGreaterThan(0);
  // The copy budget is shown in MiB/s (it is stored in bytes/s): the default is 20.
  const budget = page.getByTestId("whatif-analyzer-copyBytesPerSec");
  await expect(budget).toHaveValue(/^\d+(\.\d+)?$/);
  expect(Number(await budget.inputValue())).toBeLessThanOrEqual(10 * 1024);

  // A hysteresis at or above the tolerance is refused by the rebalancer's own schema, a copy
  // budget under 1 KiB/s by the analyzer's.
  await page.getByTestId("whatif-rebalance-hysteresis").fill("0.5");
  await budget.fill("0.0001");
  await page.getByTestId("whatif-source-select").selectOption("trace");
  await page.getByTestId("whatif-run").click();
  await expect(page.getByTestId("whatif-rebalance-hysteresis-error")).toContainText("hysteresis must be smaller than the tolerance");
  await expect(page.getByTestId("whatif-analyzer-copyBytesPerSec-error")).toContainText("copy budget must be at least 1 KiB/s");
  await expect(page.getByTestId("whatif-results")).toHaveCount(0);

  await page.getByTestId("whatif-rebalance-hysteresis").fill("0.05");
  await budget.fill("4");
  await page.getByTestId("whatif-rebalance-tolerance").fill(storedTolerance === "0.1" ? "0.15" : "0.1");
  await page.getByTestId("whatif-run").click();
  const results = page.getByTestId("whatif-results");
  await expect(results).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("whatif-source")).toContainText("shipped Wikipedia, Google and taxi traces");
  for (const policy of ["static", "static_peak", "reactive", "reactive_tuned", "predictive", "oracle"]) {
    await expect(page.getByTestId(`whatif-row-${policy}`)).toBeVisible();
    await expect(page.getByTestId(`whatif-${policy}-violation`)).toHaveText(/^\d[\d,]*$/);
  }
  // One line per policy.
  await expect(page.getByTestId("whatif-chart").locator("path.recharts-line-curve")).toHaveCount(6);
  await expect(page.getByTestId("whatif-summary")).toContainText("Predictive vs reactive");
  // Every policy with minutes over capacity has its incidents listed; a run without any says so.
  const incidentRows = page.getByTestId("whatif-incident-row");
  let anyMinutes = false;
  for (const policy of ["static", "static_peak", "reactive", "reactive_tuned", "predictive", "oracle"]) {
    const minutes = Number((await page.getByTestId(`whatif-${policy}-violation`).innerText()).replace(/,/g, ""));
    if (minutes >= 1) {
      anyMinutes = true;
      await expect(page.locator(`[data-testid="whatif-incident-row"][data-policy="${policy}"]`).first()).toBeVisible();
    }
  }
  if (!anyMinutes && (await incidentRows.count()) === 0) await expect(page.getByTestId("whatif-incidents-none")).toBeVisible();
  // The cost floor: no policy that kept every host under capacity paid less (both shown rounded).
  const number = async (testId: string) => Number((await page.getByTestId(testId).innerText()).replace(/,/g, ""));
  const floor = await number("whatif-floor-hours");
  expect(floor).toBeGreaterThan(0);
  for (const policy of ["static", "static_peak", "reactive", "reactive_tuned", "predictive", "oracle"]) {
    if ((await number(`whatif-${policy}-violation`)) === 0) expect(await number(`whatif-${policy}-host-hours`)).toBeGreaterThanOrEqual(floor - 1);
  }
  expect(await number("whatif-static_peak-host-hours")).toBeGreaterThan(floor);
  // The hosts chart draws it beside the six policies (and the plan's line when there is one).
  expect(await page.getByTestId("whatif-hosts-chart").locator("path.recharts-line-curve").count()).toBeGreaterThanOrEqual(7);
  await screenshot(page, "what-if");

  // Nothing was saved: a fresh page shows the stored tolerance again.
  await page.goto("/what-if");
  await expect(page.getByTestId("whatif-rebalance-tolerance")).toHaveValue(storedTolerance);
});

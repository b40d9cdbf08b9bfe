import { expect, test } from "@playwright/test";
import { screenshot, signIn } from "../support/console.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD } from "../support/env.ts";

// Training runs on the shipped traces here (a fresh system has no telemetry), with the few epochs
// the test configuration sets, so a run takes seconds.
test("an operator retrains the models, follows the progress and sees the new versions with their errors", async ({ page }) => {
  test.setTimeout(240_000);
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.getByTestId("nav-models").click();
  await expect(page.getByRole("heading", { name: "Models", exact: true })).toBeVisible();
  const manual = page.locator('[data-testid="model-row"][data-trigger="manual"]');
  const before = await manual.count();

  await page.getByTestId("retrain-kind").selectOption("all");
  await page.getByTestId("retrain").click();
  await expect(page.getByTestId("training-message")).toHaveText("Training of Holt-Winters and the LSTM queued.");
  // The queued job and then its version rows show a progress bar until they finish.
  await expect(page.getByTestId("training-progress").first()).toBeVisible();
  await screenshot(page, "models-training");

  // Two new versions (Holt-Winters and the LSTM) with MAE, RMSE and MASE.
  await expect(manual).toHaveCount(before + 2, { timeout: 180_000 });
  const finished = page.locator('[data-testid="model-row"][data-trigger="manual"]:is([data-status="candidate"], [data-status="active"])');
  await expect(finished).toHaveCount(before + 2, { timeout: 180_000 });
  for (const kind of ["holt_winters", "lstm"]) {
    const row = finished.and(page.locator(`[data-kind="${kind}"]`)).first();
    await expect(row.getByTestId("model-mase")).toHaveText(/^\d+\.\d{3}$/);
  }
  // The queued job's note ends with what the run decided.
  await expect(page.locator('[data-testid="training-status"][data-state="completed"]')).toContainText("Training finished: ", { timeout: 30_000 });

  // Forecast against actual on the held-out window of the new LSTM.
  const lstm = finished.and(page.locator('[data-kind="lstm"]')).first();
  await lstm.getByTestId("model-view").click();
  await expect(page.getByTestId("model-forecast")).toContainText("LSTM v");
  await expect(page.getByTestId("model-forecast-chart")).toBeVisible();
  await expect(page.getByTestId("forecast-figures")).toContainText("held out 48 steps");
  await expect(page.getByTestId("model-decision")).toContainText("shipped traces");
  await screenshot(page, "models");

  // The run promoted at most one of them; the other can be promoted by hand, with a reason, and rolled back.
  const candidate = finished.and(page.locator('[data-status="candidate"]')).first();
  const kind = await candidate.getAttribute("data-kind");
  const version = await candidate.getAttribute("data-version");
  await candidate.getByTestId("model-promote").click();
  await page.getByTestId("model-confirm").click();
  await expect(page.getByTestId("model-action-error")).toContainText("say why");
  await page.getByTestId("model-reason").fill("e2e: compare in production");
  await page.getByTestId("model-confirm").click();
  const label = `${kind === "lstm" ? "LSTM" : "Holt-Winters"} v${version}`;
  await expect(page.getByTestId("model-action-result")).toHaveText(`${kind} v${version} now serves forecasts.`);
  await expect(page.getByTestId("model-active")).toHaveText(label);
  await page.getByTestId("model-rollback").click();
  await page.getByTestId("model-reason").fill("e2e: back to the previous model");
  await page.getByTestId("model-confirm").click();
  await expect(page.getByTestId("model-action-result")).toContainText(`Rolled back from ${kind} v${version} to`);
  await expect(page.getByTestId("model-active")).not.toHaveText(label);
  await screenshot(page, "models-rolled-back");

  // Whatever serves, an operator can hand forecasting back to the default per-series selection.
  const again = page.locator(`[data-testid="model-row"][data-kind="${kind}"][data-version="${version}"]`);
  await again.getByTestId("model-promote").click();
  await page.getByTestId("model-reason").fill("e2e: once more");
  await page.getByTestId("model-confirm").click();
  await expect(page.getByTestId("model-active")).toHaveText(label);
  await page.getByTestId("model-use-default").click();
  await page.getByTestId("model-reason").fill("e2e: the selection does better");
  await page.getByTestId("model-confirm").click();
  await expect(page.getByTestId("model-action-result")).toHaveText(`Rolled back from ${kind} v${version} to the default selection.`);
  await expect(page.getByTestId("model-active")).toContainText("The default per-series selection serves");
  await expect(page.getByTestId("model-use-default")).toHaveCount(0);
});

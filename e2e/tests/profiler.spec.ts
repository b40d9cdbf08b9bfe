import { expect, test } from "@playwright/test";
import { createStreamInConsole, openAsAdmin, screenshot, signIn, uniqueName } from "../support/console.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD } from "../support/env.ts";

// The data profiler from the console: an admin gives a stream a key field on the Settings page,
// the stream's Profile page shows it with every shardlet's health, and the shard map and heatmap
// colour shardlets by health on request.
test.describe.configure({ mode: "serial" });

const stream = uniqueName("e2e-profiled");

test("an admin sets a key field for a stream and it persists", async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await createStreamInConsole(page, { name: stream, shardCount: 2, shardletsPerShard: 2 });

  await page.goto("/settings");
  const form = page.getByTestId("profiler-settings-form");
  await form.getByTestId("pf-stream-add").click();
  const row = form.getByTestId("pf-stream-row").last();
  const picker = row.getByTestId("pf-stream-name");
  // The stream list loads on its own: pick the stream once it is offered.
  await expect(picker.locator(`option[value="${stream}"]`)).toHaveCount(1);
  await picker.selectOption(stream);

  // A path the schema rejects is named next to the field, and nothing is saved.
  await row.getByTestId("pf-stream-keyFields").fill("amount, 1bad");
  await page.getByTestId("profiler-settings-save").click();
  await expect(row.locator('[data-testid$="-keyFields-error"]')).toContainText('"1bad" is not a field path');
  await expect(page.getByTestId("profiler-settings-saved")).toHaveCount(0);

  await row.getByTestId("pf-stream-keyFields").fill("amount");
  await page.getByTestId("profiler-settings-save").click();
  await expect(page.getByTestId("profiler-settings-saved")).toHaveText("Saved 1 change.");

  await page.reload();
  const saved = page.locator(`[data-testid="pf-stream-row"][data-stream="${stream}"]`);
  await expect(saved.getByTestId("pf-stream-keyFields")).toHaveValue("amount");
  await expect(saved.getByTestId("pf-stream-sampleRate")).toHaveValue("");
  await expect(page.getByTestId("profiler-settings-updated")).toContainText("changed");
  await expect(page.getByTestId("profiler-settings-audit-row").first()).toContainText("streams");
});

test("the stream's Profile page shows its shardlets' health and the profile or why there is none", async ({ page }) => {
  await openAsAdmin(page, `/streams/${stream}`);
  await page.getByTestId("profile-link").click();
  await expect(page).toHaveURL(new RegExp(`/streams/${stream}/profile$`));

  // The effective settings come back with the health: the key field saved above applies.
  await expect(page.getByTestId("profile-settings")).toContainText("amount");
  const rows = page.getByTestId("health-row");
  await expect(rows).toHaveCount(4);
  await expect(rows.first().getByTestId("health-score")).toHaveText(/^[01]\.\d\d$/);
  await expect(rows.first().getByTestId("health-score")).toHaveAttribute("data-tone", /^(ok|warn|danger)$/);

  // A row opens to every component the score was taken from.
  await rows.first().getByTestId("health-row-toggle").click();
  const components = page.getByTestId("health-component");
  await expect(components).toHaveCount(5);
  await expect(components.filter({ hasText: "key skew" })).toHaveCount(1);

  // Nothing was written, so no samples: the page says so (or shows the profile if the edges sampled something).
  await expect(page.getByTestId("profile-empty").or(page.getByTestId("stream-profile"))).toBeVisible();
  await expect(page.getByTestId("key-bins-empty").or(page.getByTestId("key-bins-chart"))).toBeVisible();

  await page.getByTestId("orchestrator-run-now").click();
  await expect(page.getByTestId("orchestrator-run-result")).toContainText("queued");
  // The page follows the run to its end and says what it found. A run asked for here is never
  // skipped for a disabled profiler, and it scores every live shardlet: this stream's four among them.
  const runStatus = page.locator('[data-testid="orchestrator-run-status"][data-state="completed"]');
  await expect(runStatus).toBeVisible({ timeout: 60_000 });
  await expect(runStatus).toHaveText(/^Orchestrator run finished: \d+ shardlets? scored, \d+ below the threshold, \d+ splits? and \d+ moves? proposed(, \d+ splits? queued at once)?, \d+ notes?\. Dismiss$/);
  const scored = /(\d+) shardlets? scored/.exec((await runStatus.textContent()) ?? "");
  expect(Number(scored?.[1])).toBeGreaterThanOrEqual(4);
  await screenshot(page, "profile");
});

test("the shard map and the heatmap colour shardlets by health on request", async ({ page }) => {
  await openAsAdmin(page, "/shard-map");
  await page.getByTestId("shardmap-stream-filter").selectOption({ label: stream });
  const ours = page.locator(`[data-testid="shardlet-row"][data-stream="${stream}"]`);
  await expect(ours).toHaveCount(4);
  // Load is the default: no health column, no health legend.
  await expect(page.getByTestId("shardmap-colour-load")).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("health-legend")).toHaveCount(0);
  await expect(page.getByTestId("shardlet-health")).toHaveCount(0);

  await page.getByTestId("shardmap-colour-health").click();
  await expect(page.getByTestId("health-legend")).toContainText("below the threshold");
  await expect(ours.first().getByTestId("shardlet-health")).toContainText(/[01]\.\d\d/);
  await expect(ours.first()).toHaveAttribute("title", /^health [01]\.\d\d · /);
  await screenshot(page, "shard-map-health");

  await page.getByTestId("shardmap-colour-load").click();
  await expect(page.getByTestId("health-legend")).toHaveCount(0);
  await expect(page.getByTestId("shardlet-health")).toHaveCount(0);

  await page.goto("/heatmap");
  await page.getByTestId("heatmap-colour-health").click();
  await expect(page.getByTestId("health-legend")).toContainText("near the threshold");
  await expect(page.getByTestId("heatmap-legend")).toHaveCount(0);
});

import { expect, test, type Page } from "@playwright/test";
import { openPageAs, screenshot, signIn, signInAsNewUser, trpcMutation } from "../support/console.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD } from "../support/env.ts";

// One story: an admin sets the capacity planner's bounds (a minimum above the hosts there are, so
// the plan has to add one), an analyzer run over every stream plans with them, the heatmap shows
// the plan, and a viewer can read it all but approve nothing. The settings go back at the end.
test.describe.configure({ mode: "serial" });

async function capacitySettings(page: Page): Promise<Record<string, unknown>> {
  const res = await page.request.get("/api/trpc/capacity.settings");
  expect(res.status()).toBe(200);
  return ((await res.json()) as { result: { data: { json: { settings: Record<string, unknown> } } } }).result.data.json.settings;
}

test.afterAll(async ({ browser }) => {
  // Later specs plan with the defaults again.
  const page = await openPageAs(browser, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  const current = await capacitySettings(page);
  const restored = await trpcMutation(page, "capacity.updateSettings", { ...current, minHosts: 1, maxHosts: 64 });
  expect(restored.status).toBe(200);
  await page.context().close();
});

test("the capacity settings refuse a minimum above the maximum and save valid bounds, audited", async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto("/settings");
  const section = page.getByTestId("capacity-settings");
  await expect(section).toBeVisible();
  await expect(section.getByTestId("cap-mode")).toHaveValue("forecast_only");
  await expect(section.getByTestId("cap-forecastQuantile")).toHaveValue("0.9");
  const before = await capacitySettings(page);

  await section.getByTestId("cap-minHosts").fill("5");
  await section.getByTestId("cap-maxHosts").fill("3");
  await section.getByTestId("capacity-settings-save").click();
  await expect(section.getByTestId("cap-maxHosts-error")).toHaveText("maximum hosts must be at least the minimum");
  await expect(section.getByTestId("capacity-settings-saved")).toHaveCount(0);
  // The server says the same for a request that skips the form, and stores nothing.
  const refused = await trpcMutation(page, "capacity.updateSettings", { ...before, minHosts: 5, maxHosts: 3 });
  expect(refused.status).toBe(400);
  expect(refused.text).toContain("maxHosts: maximum hosts must be at least the minimum");
  expect(await capacitySettings(page)).toEqual(before);

  // A quantile of 1 would plan for the worst miss ever seen: refused, nothing stored.
  await section.getByTestId("cap-minHosts").fill("1");
  await section.getByTestId("cap-maxHosts").fill("64");
  await section.getByTestId("cap-forecastQuantile").fill("1");
  await section.getByTestId("capacity-settings-save").click();
  await expect(section.getByTestId("cap-forecastQuantile-error")).toHaveText("the forecast quantile must be below 1");
  expect(await capacitySettings(page)).toEqual(before);
  await section.getByTestId("cap-forecastQuantile").fill("0.9");

  // Four hosts at least on a three-host cluster: the next plan must add one.
  await section.getByTestId("cap-minHosts").fill("4");
  await section.getByTestId("cap-maxHosts").fill("12");
  await section.getByTestId("capacity-settings-save").click();
  await expect(section.getByTestId("capacity-settings-saved")).toContainText("Saved 2 changes");
  await expect(section.getByTestId("cap-maxHosts-error")).toHaveCount(0);
  await expect(section.getByTestId("capacity-settings-updated")).toContainText("changed");

  await page.reload();
  await expect(page.getByTestId("cap-minHosts")).toHaveValue("4");
  await expect(page.getByTestId("cap-maxHosts")).toHaveValue("12");
  await page.getByTestId("capacity-settings").getByText(/Change history/).click();
  await expect(page.getByTestId("capacity-settings-audit-row").first()).toContainText("minHosts 1 → 4");
});

test("an analyzer run over every stream puts its capacity plan on the heatmap", async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto("/heatmap");
  const panel = page.getByTestId("capacity-panel");
  await expect(panel).toBeVisible();
  await expect(panel.getByTestId("capacity-mode")).toHaveAttribute("data-mode", "forecast_only");
  // Either an earlier run's plan or an empty state that says why there is none.
  await expect(panel.getByTestId("capacity-plan").or(panel.getByTestId("capacity-empty"))).toBeVisible();
  const previous = (await panel.getByTestId("capacity-plan").count()) > 0 ? await panel.getByTestId("capacity-plan").getAttribute("data-run") : null;

  await expect(page.getByTestId("heatmap-stream")).toHaveValue("");
  await page.getByTestId("analyzer-run-now").click();
  await expect(page.locator('[data-testid="analyzer-run-status"][data-state="completed"]')).toBeVisible({ timeout: 60_000 });

  const plan = panel.getByTestId("capacity-plan");
  await expect
    .poll(async () => ((await plan.count()) > 0 ? await plan.getAttribute("data-run") : null), { timeout: 20_000, message: "the panel shows the new run's plan" })
    .not.toBe(previous);
  await expect(plan).toBeVisible();
  await expect(panel.getByTestId("capacity-hosts-now")).toContainText("hosts now 3");
  // The minimum of four is above the three hosts: the plan adds one, says why and when.
  const decision = panel.getByTestId("capacity-decision");
  await expect(decision).toHaveAttribute("data-decision", "add");
  await expect(decision).toContainText(/Add (one host|\d+ hosts)/);
  await expect(decision.getByTestId("capacity-need-by")).toContainText("needed by");
  await expect(decision.getByTestId("capacity-ask-by")).toContainText("ask by");
  await expect(panel.getByTestId("capacity-figures")).toContainText("hosts 4–12");
  // Hosts planned vs needed, and load vs capacity: recharts draws one path per line.
  await expect.poll(async () => panel.getByTestId("capacity-hosts-chart").locator("path.recharts-line-curve").count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
  await expect.poll(async () => panel.getByTestId("capacity-load-chart").locator("path.recharts-line-curve").count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
  await screenshot(page, "capacity-panel");
});

test("a viewer reads the plan, the settings and the capacity proposals but approves nothing", async ({ page, browser }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  const { page: vpage, context } = await signInAsNewUser(page, browser, { name: "Carl Capacity", prefix: "cap-viewer", role: "viewer" });
  await vpage.goto("/heatmap");
  await expect(vpage.getByTestId("capacity-plan")).toBeVisible();

  await vpage.goto("/migrations");
  const proposals = vpage.getByTestId("capacity-proposals");
  await expect(proposals).toBeVisible();
  await expect(proposals.getByTestId("capacity-proposals-table").or(proposals.getByTestId("capacity-proposals-empty"))).toBeVisible();
  await expect(vpage.getByTestId("proposal-approve-drain")).toHaveCount(0);
  await expect(vpage.getByTestId("proposal-approve-host")).toHaveCount(0);

  await vpage.goto("/settings");
  await expect(vpage.getByTestId("capacity-settings-readonly")).toBeVisible();
  await expect(vpage.getByTestId("cap-minHosts")).toBeDisabled();
  await expect(vpage.getByTestId("capacity-settings-save")).toHaveCount(0);

  // The API refuses the role, whatever the page shows.
  for (const [path, input] of [
    ["analyzer.approveDrainHost", { proposalId: "any" }],
    ["analyzer.approveAddHost", { proposalId: "any" }],
    ["capacity.updateSettings", { minHosts: 1, maxHosts: 2 }],
  ] as const) {
    const res = await trpcMutation(vpage, path, input);
    expect(res.status, path).toBe(403);
    expect(res.text).toMatch(/needs the \w+ role/);
  }
  await context.close();
});

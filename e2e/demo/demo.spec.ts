import { expect, test, type Page } from "@playwright/test";
import { screenshot, signIn } from "../support/console.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD } from "../support/env.ts";

// The README promises that a new user who starts the demo sees Shardcast act within minutes. This
// watches the demo exactly as started (no setting changed, no event sent by the test): a split on
// the shard map, then a move proposed by the rebalancer or a proposal of the predictive analyzer.
// No test changes the system, so each runs even after an earlier one failed.

const MINUTES = 60_000;

async function proposalCount(page: Page, path: "/migrations" | "/heatmap"): Promise<number> {
  await page.goto(path);
  // Both pages render either their proposals table or an explicit "none" line once loaded.
  const table = path === "/migrations" ? page.getByTestId("proposals") : page.getByTestId("proposals-table");
  const empty = path === "/migrations" ? page.getByTestId("proposals-empty") : page.getByTestId("proposals-table-empty");
  await expect(table.or(empty).first()).toBeVisible();
  return table.getByTestId("proposal-row").count();
}

test("the demo splits a shardlet on its own, visible on the shard map", async ({ page }) => {
  test.setTimeout(8 * MINUTES);
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto("/shard-map");
  const demoRows = page.locator('[data-testid="shardlet-row"][data-stream="demo"]');
  await expect(demoRows.first()).toBeVisible();
  // The map refreshes itself every few seconds; a child of a split carries its parent's lineage.
  await expect(demoRows.locator('[data-testid="shardlet-lineage"][data-kind="split"]').first()).toBeVisible({ timeout: 7 * MINUTES });
  await screenshot(page, "demo-shard-map-split");
});

test("the demo's orchestrator names a hot key and what to do about it, on the Profile page", async ({ page }) => {
  // The notes stop in the compressed night (about 7.5 to 12 minutes into each 10-minute day's
  // cycle): a test that starts at nightfall waits for the next busy hours.
  test.setTimeout(8 * MINUTES);
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto("/streams/demo/profile");
  // The Zipf head's hottest key takes most of a busy shardlet's writes within a couple of minutes
  // of the start (a split cannot spread one key), so the orchestrator writes a note with its
  // recommendation instead of a proposal. The page refreshes itself.
  const note = page.getByTestId("orchestrator-note").filter({ hasText: /cannot split a single key.*Recommendation: salt the key/ });
  await expect(note.first()).toBeVisible({ timeout: 7 * MINUTES });
  await screenshot(page, "demo-orchestrator-note");
});

test("the demo gets a rebalancer or analyzer proposal to approve", async ({ page }) => {
  test.setTimeout(10 * MINUTES);
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  let where = "";
  await expect(async () => {
    if ((await proposalCount(page, "/migrations")) > 0) where = "migrations";
    else if ((await proposalCount(page, "/heatmap")) > 0) where = "heatmap";
    expect(where, "no rebalancer or analyzer proposal yet").not.toBe("");
  }).toPass({ timeout: 9 * MINUTES, intervals: [5_000] });
  await screenshot(page, `demo-proposal-${where}`);
});

test("the demo's consumer group reads the stream and takes predictive checkpoints", async ({ page }) => {
  test.setTimeout(6 * MINUTES);
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto("/streams/demo/consumers");
  await expect(page.getByTestId("consumer-groups")).toContainText("demo-analytics");
  await expect(page.getByTestId("members").locator("tbody tr").first()).toBeVisible();
  // A busy shardlet's predicted replay passes the demo's threshold within a minute or two.
  await expect(page.getByTestId("checkpoint-reason").filter({ hasText: /^predicted replay .* > / }).first()).toBeVisible({ timeout: 5 * MINUTES });
  await screenshot(page, "demo-consumers");
});

test("the demo's audit group reads what the analytics group read, from the edge's cache", async ({ page }) => {
  test.setTimeout(4 * MINUTES);
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto("/cache?stream=demo");
  await expect(page.getByRole("heading", { name: "Cache & prefetch" })).toBeVisible();
  // Two groups read the same events: whichever reads a range second is answered from memory.
  await expect(page.locator('[data-testid="cached-shardlet"]:not([data-hits="0"])').filter({ hasText: "demo" }).first()).toBeVisible({ timeout: 3 * MINUTES });
  await screenshot(page, "demo-cache");
});

test("the demo archives old payloads on its own, visible on the Cache page", async ({ page }) => {
  test.setTimeout(10 * MINUTES);
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto("/cache?stream=demo");
  const placement = page.getByTestId("placement-section");
  await expect(placement.getByTestId("placement-archived-events")).toBeVisible();
  // The demo archives payloads older than three minutes once every group has read them; the README
  // promises the first archives about five minutes after the start. The section refreshes itself.
  const archivedEvents = placement.getByTestId("placement-archived-events").filter({ hasNotText: /^0$/ });
  const archivedShardlet = placement.locator('[data-testid="archived-shardlet"]:not([data-events="0"])');
  await expect(archivedEvents.or(archivedShardlet).first()).toBeVisible({ timeout: 9 * MINUTES });
  await screenshot(page, "demo-cache-archive");
});

test("the demo's placement bandit tries a read replica of a hot shardlet, visible on the Cache page", async ({ page }) => {
  test.setTimeout(10 * MINUTES);
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto("/cache?stream=demo");
  await expect(page.getByTestId("replicas-section")).toBeVisible();
  // The demo calls a shardlet hot at 20 events/s of consumer reads; its groups read every event, so
  // within a few placement runs the bandit replicates one (it may drop it again when the replica
  // serves too little for its copy: the decision stays in the list either way).
  const replica = page.getByTestId("replica-row");
  const decision = page.locator('[data-testid="placement-decision"][data-arm="replicate"]');
  await expect(replica.or(decision).first()).toBeVisible({ timeout: 9 * MINUTES });
  await screenshot(page, "demo-cache-replica");
});

test("the demo's prefetch map learns which ledger shardlet the reporter reads after its requests", async ({ page }) => {
  test.setTimeout(24 * MINUTES);
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto("/cache?stream=demo-ledger");
  await expect(page.getByTestId("prefetch-section")).toBeVisible();
  // The reporter asks every two minutes and reads 20 s later; the engine needs a handful of its
  // requests before the pair clears its evidence test (about ten minutes after the start,
  // README). The section refreshes itself; from then on the edge prefetches at every request.
  const learnt = page.locator('[data-testid="prefetch-row"][data-above="true"]').filter({ hasText: "demo-reporter" });
  await expect(learnt.first()).toBeVisible({ timeout: 22 * MINUTES });
  await expect(page.getByTestId("prefetch-map")).toContainText("report_requested");
  await screenshot(page, "demo-cache-prefetch-map");
});

import { expect, test } from "@playwright/test";
import { createApiKey, createStreamInConsole, openAsAdmin, screenshot, signIn, uniqueName } from "../support/console.ts";
import { joinGroup, pollGroup, pollUntilDrained } from "../support/edge.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD, EDGE_URL } from "../support/env.ts";

// A consumer group seen from the console: two members join over the edge's REST API, consume and
// commit; the Consumers page shows them, their shardlets and lag; one leaves and the page shows
// the other holding everything and the group's log telling why.
test.describe.configure({ mode: "serial" });

const stream = uniqueName("e2e-consumed");
const group = "e2e-readers";
let token = "";
const members: Record<string, string> = {};

test("the admin creates a key and a stream, and checkpoints at a fixed interval", async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  token = await createApiKey(page, "e2e-consumer");
  await createStreamInConsole(page, { name: stream, shardCount: 2, shardletsPerShard: 2 });
  // Predictive checkpoints of a group this small would take minutes to come; a fixed 1 s interval
  // makes the checkpoint job take one at its next run once the members have committed.
  await page.goto("/settings");
  const form = page.getByTestId("consumer-settings-form");
  await form.getByLabel("Checkpoint mode").selectOption("fixed");
  await form.locator("#cs-fixedIntervalSec").fill("0");
  await page.getByTestId("consumer-settings-save").click();
  await expect(page.getByTestId("consumer-fixedIntervalSec-error")).toHaveText("fixed interval must be at least 1 s");
  await form.locator("#cs-fixedIntervalSec").fill("1");
  await page.getByTestId("consumer-settings-save").click();
  await expect(page.getByTestId("consumer-settings-saved")).toHaveText("Saved 2 changes.");
  await expect(page.getByTestId("consumer-settings-audit-row").first()).toContainText("fixedIntervalSec 30 → 1", { timeout: 15_000 });
});

test("two members join, consume and commit over REST", async ({ request }) => {
  expect(token, "the first test must run first").not.toBe("");
  const readers = { stream, group, token };
  for (const name of ["reader-a", "reader-b"]) members[name] = await joinGroup(request, readers, name);
  const events = Array.from({ length: 400 }, (_, i) => ({ key: `customer-${i}`, type: "order", payload: { i } }));
  const sent = await request.post(`${EDGE_URL}/v1/streams/${stream}/events`, { headers: { Authorization: `Bearer ${token}` }, data: { events } });
  expect(sent.status()).toBe(200);
  // Each member polls until it has a share of the shardlets and nothing is left to deliver.
  let delivered = 0;
  for (const name of ["reader-a", "reader-b"]) {
    const drained = await pollUntilDrained(request, readers, members[name]!);
    delivered += drained.delivered;
    // The last answer's commits go out too.
    await pollGroup(request, readers, members[name]!, drained.commits);
  }
  expect(delivered).toBeGreaterThanOrEqual(400);
});

test("the Consumers page shows the group, its members, assignments and lag", async ({ page }) => {
  await openAsAdmin(page, `/streams/${stream}`);
  await page.getByTestId("consumers-link").click();
  await expect(page).toHaveURL(new RegExp(`/streams/${stream}/consumers$`));
  await expect(page.getByTestId("consumer-groups")).toContainText(group);
  await expect(page.getByTestId("members").locator("tbody tr")).toHaveCount(2);
  await expect(page.getByTestId("assignment")).toHaveCount(4);
  // Shardlets go by their key-hash ranges, which together cover the key space; the id stays as secondary text.
  const ranges = page.getByTestId("assignments").getByTestId("shardlet-range");
  await expect(ranges).toHaveText(Array<RegExp>(4).fill(/^0x[0-9a-f]{8}–0x[0-9a-f]{8}$/));
  const shown = (await ranges.allTextContents()).sort();
  expect(shown[0]).toMatch(/^0x00000000–/);
  expect(shown[3]).toMatch(/–0xffffffff$/);
  await expect(ranges.first()).toHaveAttribute("title", /^shardlet \S+$/);
  await expect(page.getByTestId("assignments").getByTestId("shardlet-id").first()).toHaveText(/^…\S{8}$/);
  // The checkpoint job measures lag every few seconds: caught up, nothing behind.
  await expect(page.getByTestId("assignment-lag").first()).toHaveText(/^0 events/, { timeout: 60_000 });
  await expect(page.getByTestId("group-event-join")).toHaveCount(2);
  await expect(page.getByTestId("lag-chart")).toBeVisible();
  // Each shardlet's first assignment is a checkpoint at the group's start; the members' commits
  // become checkpoints at the fixed interval set above.
  await expect(page.getByTestId("checkpoints")).toContainText("first assignment");
  await expect(page.getByTestId("checkpoint-reason").filter({ hasText: "fixed interval of 1 s elapsed" }).first()).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("checkpoint-chart")).toBeVisible();
  // The group's reads beside their forecast: a group this young has none yet, and the page says so.
  await expect(page.getByTestId("group-read-chart")).toBeVisible();
  await expect(page.getByTestId("group-read-note")).toContainText(/Not forecast yet|Forecast by|observed read rate/);
  await screenshot(page, "consumers");
});

test("after a member leaves, the page shows the other holding every shardlet", async ({ page, request }) => {
  const left = await request.delete(`${EDGE_URL}/v1/streams/${stream}/groups/${group}/members/${members["reader-b"]!}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(left.status(), await left.text()).toBe(200);
  await openAsAdmin(page, `/streams/${stream}/consumers`);
  await expect(page.getByTestId("members").locator("tbody tr")).toHaveCount(1);
  await expect(page.getByTestId("member-reader-a-shardlets")).toHaveText("4");
  await expect(page.getByTestId("assignment-member")).toHaveText(Array<string>(4).fill("reader-a"));
  await expect(page.getByTestId("assignment-handoff")).toHaveText(Array<string>(4).fill("—"));
  await expect(page.getByTestId("group-event-leave")).toHaveCount(1);
  await expect(page.getByTestId("group-event-assign").first()).toContainText("reader-a");
  // The overview lists the group's lag too.
  await page.goto("/");
  await expect(page.getByTestId("overview-lag")).toContainText(group);
  await screenshot(page, "consumers-after-leave");
});

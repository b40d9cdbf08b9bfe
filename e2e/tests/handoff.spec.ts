import { expect, test } from "@playwright/test";
import { createApiKey, createStreamInConsole, createUser, openAsAdmin, openPageAs, screenshot, trpcQuery, uniqueName } from "../support/console.ts";
import { postEvents } from "../support/edge.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD } from "../support/env.ts";
import { keysIn, liveLayout } from "../support/shard-map.ts";

// A hand-off through the console: an operator moves a shardlet holding events with the manual move
// form in its default mode, the migrations page shows it as a hand-off that copied no row, and the
// shard map, the stream page and the hosts page show the sealed shardlet where its history stayed
// (and until when), the successor saying where its range's history is.
test.describe.configure({ mode: "serial" });

const stream = uniqueName("e2e-handoff");
const operator = { email: `${uniqueName("handoff")}@example.com`, password: "operator-password-1" };

let streamId = "";
/** The shardlet handed off, where it was and where its writes went. */
let moved = { id: "", sourceName: "", destName: "" };

test("an operator hands a shardlet off from the migrations page and sees it end without copying a row", async ({ browser }) => {
  test.setTimeout(180_000);
  const admin = await openPageAs(browser, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  await createUser(admin, { name: "Hana Handoff", ...operator, role: "operator" });
  const token = await createApiKey(admin, uniqueName("handoff-producer"));
  await createStreamInConsole(admin, { name: stream, shardCount: 1, shardletsPerShard: 4 });
  streamId = (await trpcQuery<{ streams: Array<{ id: string; name: string }> }>(admin, "streams.list")).streams.find((s) => s.name === stream)!.id;
  await admin.context().close();

  const page = await openPageAs(browser, operator);
  const shardlets = await liveLayout(page, streamId);
  const source = shardlets[0]!;
  const dest = shardlets.find((s) => s.hostId !== source.hostId)!;
  moved = { id: source.id, sourceName: source.hostName, destName: dest.hostName };

  // History to leave behind: 200 events in the shardlet's range, counted by the accounting first.
  const keys = keysIn([source.range], 20, "handoff");
  const events = Array.from({ length: 200 }, (_, i) => ({ key: keys[i % keys.length]!, id: `before-${i}`, type: "handoff.test", payload: { i } }));
  expect(await postEvents(stream, token, events)).toBe(200);
  await expect
    .poll(async () => (await liveLayout(page, streamId)).find((s) => s.id === source.id)?.eventCount ?? 0, { timeout: 30_000, message: "events counted on the shardlet" })
    .toBe(200);

  await page.goto("/migrations");
  const form = page.getByTestId("move-form");
  await page.getByTestId("move-stream").selectOption({ label: stream });
  await page.getByTestId("move-shardlet").selectOption(source.id);
  await page.getByTestId("move-dest").selectOption({ label: dest.hostName });
  // Hand-off is the default, each mode explained in a line.
  await expect(form.getByTestId("move-mode-handoff")).toBeChecked();
  await expect(form.getByTestId("move-mode")).toContainText("no row: the history stays readable on the current host");
  await expect(form.getByTestId("move-mode")).toContainText("Moves the history too");
  await screenshot(page, "handoff-form");
  await page.getByTestId("move-submit").click();
  await expect(page.getByTestId("migrations-action-result")).toContainText(`off to ${dest.hostName}: the mover starts now`);
  await expect(page.getByTestId("migrations-action-result")).toContainText(`its history stays readable on ${source.hostName}`);

  // It ends in the history as a hand-off (waiting on the row's phase, which the page refreshes).
  const done = page.locator(`[data-testid="history-row"][data-shardlet="${source.id}"]`);
  await expect(done).toHaveAttribute("data-phase", "done", { timeout: 90_000 });
  await expect(done).toHaveAttribute("data-mode", "handoff");
  await expect(done).toHaveAttribute("data-copied", "0");
  await expect(done.getByTestId("migration-mode")).toHaveText("hand-off");
  await done.getByTestId("migration-log-toggle").click();
  const log = page.getByTestId("migration-log");
  await expect(log.getByTestId("migration-mode")).toHaveAttribute("data-mode", "handoff");
  await expect(log.getByTestId("migration-handoff-note")).toContainText("Hand-off: no row is copied.");
  await expect(log.getByTestId("migration-handoff-note")).toContainText(`(200 events,`);
  await expect(log.getByTestId("migration-handoff-note")).toContainText(`stays sealed and readable on ${source.hostName} until`);
  await expect(log.locator('[data-testid="migration-event"][data-phase="done"]').first()).toContainText("no row copied");
  await screenshot(page, "handoff-done");
  await page.context().close();
});

test("the shard map shows the sealed shardlet where its history stayed, and its successor says so", async ({ browser }) => {
  expect(moved.id, "the first test hands a shardlet off").not.toBe("");
  const page = await openPageAs(browser, operator);
  await page.goto("/shard-map");
  await page.getByTestId("shardmap-stream-filter").selectOption({ label: stream });

  const sourceHost = page.getByTestId(`shardmap-host-${moved.sourceName}`);
  const sealed = sourceHost.locator(`[data-testid="shardlet-row"][data-id="${moved.id}"]`);
  await expect(sealed).toHaveAttribute("data-state", "sealed");
  await expect(sealed).toHaveClass(/\bsealed\b/);
  await expect(sealed.getByTestId("shardlet-state")).toHaveText("sealed");
  await expect(sealed.getByTestId("shardlet-sealed-until")).toContainText("history until");
  await expect(sealed).toHaveAttribute("data-events", "200");
  await expect(sealed.getByTestId("shardlet-size")).toContainText("of history");
  await expect(sealed.getByTestId("shardlet-split")).toHaveCount(0);
  await expect(sourceHost.getByTestId("shardmap-host-history")).toHaveAttribute("data-shardlets", "1");
  await expect(sourceHost.getByTestId("shardmap-host-history")).toContainText("1 sealed shardlet");

  // The successor takes the range's writes on the destination and points at the history.
  const successor = page.getByTestId(`shardmap-host-${moved.destName}`).locator('[data-testid="shardlet-row"][data-state="active"]', {
    has: page.locator(`[data-testid="shardlet-history-elsewhere"][data-hosts="${moved.sourceName}"]`),
  });
  await expect(successor).toHaveCount(1);
  await expect(successor.getByTestId("shardlet-history-elsewhere")).toContainText(`history on ${moved.sourceName} until`);
  await screenshot(page, "handoff-shard-map");
  await page.context().close();
});

test("the stream and hosts pages show the sealed history and until when it is kept", async ({ browser }) => {
  expect(moved.id, "the first test hands a shardlet off").not.toBe("");
  const page = await openPageAs(browser, operator);
  await page.goto(`/streams/${stream}`);
  const history = page.getByTestId("stream-history");
  await expect(history.getByTestId("stream-history-retention")).toHaveText("7 d");
  await expect(history.getByTestId("stream-history-shardlets")).toHaveText("1");
  await expect(history.getByTestId("stream-history-bytes")).toHaveText(/^\d+(\.\d)? KiB$/);
  await expect(history.getByTestId("stream-history-events")).toHaveText("200");
  await expect(history.getByTestId("stream-history-until")).toHaveText(/^in 6 d( \d+ h)?$/);
  await expect(history.getByTestId("stream-history-hosts")).toContainText(`Kept on ${moved.sourceName} (`);
  await expect(history.locator(`[data-testid="stream-sealed-row"][data-id="${moved.id}"]`)).toHaveAttribute("data-host", moved.sourceName);
  await screenshot(page, "handoff-stream");

  await page.goto("/hosts");
  const row = page.getByTestId(`host-row-${moved.sourceName}`);
  await expect(row.getByTestId("host-history")).toHaveAttribute("data-shardlets", /^[1-9]\d*$/);
  await expect(row.getByTestId("host-history")).toContainText("sealed shardlet");
  await page.context().close();
});

test("an admin changes the retention settings, validated, and finds the change in their history; an operator sees them read-only", async ({ page, browser }) => {
  await openAsAdmin(page, "/settings");
  const section = page.getByTestId("retention-settings");
  await expect(section.getByTestId("rt-partitionSpanSec")).toHaveValue("21600");
  await expect(section.getByTestId("rt-enabled")).toBeChecked();

  await section.getByTestId("rt-partitionSpanSec").fill("0");
  await section.getByTestId("retention-settings-save").click();
  await expect(section.getByTestId("rt-partitionSpanSec-error")).toHaveText("partition span must be at least 1 second");
  await expect(section.getByTestId("retention-settings-saved")).toHaveCount(0);

  await section.getByTestId("rt-partitionSpanSec").fill("3600");
  await section.getByTestId("retention-settings-save").click();
  await expect(section.getByTestId("retention-settings-saved")).toHaveText("Saved 1 change.");
  await section.getByText(/^Change history \(\d+\)$/).click();
  await expect(section.getByTestId("retention-settings-audit-row").first()).toContainText("partitionSpanSec 21600 → 3600");
  expect((await trpcQuery<{ settings: { partitionSpanSec: number } }>(page, "streams.retentionSettings", undefined)).settings.partitionSpanSec).toBe(3600);

  const seen = await openPageAs(browser, operator);
  await seen.goto("/settings");
  const readOnly = seen.getByTestId("retention-settings");
  await expect(readOnly.getByTestId("retention-settings-readonly")).toBeVisible();
  await expect(readOnly.getByTestId("rt-partitionSpanSec")).toHaveValue("3600");
  await expect(readOnly.getByTestId("rt-partitionSpanSec")).toBeDisabled();
  await seen.context().close();

  // Back to the default, for the suites that follow on the same system.
  await section.getByTestId("rt-partitionSpanSec").fill("21600");
  await section.getByTestId("retention-settings-save").click();
  await expect(section.getByTestId("retention-settings-saved")).toHaveText("Saved 1 change.");
});

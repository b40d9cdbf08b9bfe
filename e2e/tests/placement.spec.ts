import { expect, test, type Page } from "@playwright/test";
import { getStreamByName, HostPool, listShardlets } from "@shardcast/db";
import { openControlDb } from "../support/control-db.ts";
import { createApiKey, createStreamInConsole, openPageAs, screenshot, signIn, signInAsNewUser, uniqueName } from "../support/console.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD, EDGE_URL, WEB_URL } from "../support/env.ts";

// Cold archive and placement in the console: an admin tunes the placement job on the Settings page
// (an invalid leave reward is refused and stores nothing, a valid one persists, audited), a viewer
// only reads the settings, and the Cache & prefetch page explains what the job archived, or that it
// has not archived anything yet. Then rows archived on the hosts (as the job's archive step does
// it, with the hosts' own function) show there with their host and how well they compressed.
test.describe.configure({ mode: "serial" });

const stream = uniqueName("e2e-cold");

interface StoredPlacement {
  settings: { enabled: boolean; archiveAfterSec: number; minArchiveBytes: number; leaveReward: number; exploration: number };
  updatedAt: string | null;
  audit: unknown[];
}

const DEFAULTS = { enabled: true, archiveAfterSec: 21_600, minArchiveBytes: 1_048_576, leaveReward: 0.33, exploration: 0.5, replicaMinReadsPerSec: 200, readForecastLeadSec: 600, maxReplicas: 8, pinBudgetShare: 0.25, maxPins: 16, maxReadMovesPerRun: 1, readMoveImbalance: 0.5, readMoveCooldownSec: 3_600 };

async function stored(page: Page): Promise<StoredPlacement> {
  const res = await page.request.get("/api/trpc/cache.placementSettings");
  expect(res.status()).toBe(200);
  return ((await res.json()) as { result: { data: { json: StoredPlacement } } }).result.data.json;
}

test.afterAll(async ({ browser }) => {
  // Later specs run with the defaults.
  const page = await openPageAs(browser, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  const res = await page.request.post("/api/trpc/cache.updatePlacementSettings", { data: { json: DEFAULTS }, headers: { origin: WEB_URL } });
  expect(res.status(), await res.text()).toBe(200);
  await page.context().close();
});

test("an admin sees the defaults, an invalid leave reward is refused and stores nothing, a valid one persists", async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto("/settings");
  const section = page.getByTestId("placement-settings");
  await expect(section.getByRole("heading", { name: "Cold archive & placement" })).toBeVisible();
  await expect(section.getByTestId("placement-settings-updated")).toHaveText("defaults (never changed)");
  await expect(section.getByTestId("pl-enabled")).toBeChecked();
  await expect(section.getByTestId("pl-archiveAfterSec")).toHaveValue("21600");
  await expect(section.getByTestId("pl-minArchiveBytes")).toHaveValue("1048576");
  await expect(section.getByTestId("pl-leaveReward")).toHaveValue("0.33");
  await expect(section.getByTestId("pl-exploration")).toHaveValue("0.5");
  await expect(section.getByTestId("pl-maxReadMovesPerRun")).toHaveValue("1");
  await expect(section.getByTestId("pl-readMoveCooldownSec")).toHaveValue("3600");
  await expect(section.getByTestId("pl-readForecastLeadSec")).toHaveValue("600");

  // The form refuses with the server's own message, before any request leaves the page.
  const saves: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("cache.updatePlacementSettings")) saves.push(r.url());
  });
  await section.getByTestId("pl-leaveReward").fill("2");
  await section.getByTestId("placement-settings-save").click();
  await expect(section.getByTestId("pl-leaveReward-error")).toHaveText("leave reward must be between 0 and 1");
  await expect(section.getByTestId("pl-leaveReward")).toHaveAttribute("aria-invalid", "true");
  await expect(section.getByTestId("placement-settings-saved")).toHaveCount(0);
  expect(saves).toEqual([]);
  const after = await stored(page);
  expect(after.settings).toEqual(DEFAULTS);
  expect(after.updatedAt).toBeNull();
  expect(after.audit).toEqual([]);

  await section.getByTestId("pl-leaveReward").fill("0.5");
  await section.getByTestId("placement-settings-save").click();
  await expect(section.getByTestId("placement-settings-saved")).toHaveText("Saved 1 change; the placement job uses them from its next run.");
  await expect(section.getByTestId("pl-leaveReward-error")).toHaveCount(0);
  await expect(section.getByTestId("placement-settings-updated")).toContainText("changed");
  await section.getByText(/^Change history \(\d+\)$/).click();
  await expect(section.getByTestId("placement-settings-audit-row").first()).toContainText(`${ADMIN_EMAIL}: leaveReward 0.33 → 0.5`);
  expect((await stored(page)).settings).toEqual({ ...DEFAULTS, leaveReward: 0.5 });

  await page.reload();
  await expect(page.getByTestId("pl-leaveReward")).toHaveValue("0.5");
  await screenshot(page, "placement-settings");
});

test("a viewer reads the placement settings but cannot change them", async ({ page, browser }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  const { page: vpage, context } = await signInAsNewUser(page, browser, { name: "Pia Viewer", prefix: "placement-viewer", role: "viewer" });
  await vpage.goto("/settings");
  const section = vpage.getByTestId("placement-settings");
  await expect(section.getByTestId("placement-settings-readonly")).toBeVisible();
  await expect(section.getByTestId("pl-leaveReward")).toHaveValue("0.5");
  await expect(section.getByTestId("pl-leaveReward")).toBeDisabled();
  await expect(section.getByTestId("pl-enabled")).toBeDisabled();
  await expect(section.getByTestId("placement-settings-save")).toHaveCount(0);
  const res = await vpage.request.post("/api/trpc/cache.updatePlacementSettings", { data: { json: { ...DEFAULTS, leaveReward: 0.9 } }, headers: { origin: WEB_URL } });
  expect(res.status()).toBe(403);
  await context.close();
});

test("the Cache & prefetch page shows the cold archive, or why it is empty", async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.getByTestId("nav-cache").click();
  await expect(page).toHaveURL(/\/cache$/);
  const section = page.getByTestId("placement-section");
  await expect(section.getByRole("heading", { name: "Cold archive & placement" })).toBeVisible();
  await expect(section.getByTestId("placement-archived-events")).toHaveText(/^\d[\d,]*$/);
  await expect(section.getByTestId("placement-last-run")).toHaveText(/^(not yet|\d+[smhd] ago)$/);
  // With the default six hours nothing on a fresh system is old enough to archive; a system that
  // ran longer shows what the job decided instead.
  const empty = section.getByTestId("placement-empty");
  await expect(empty.or(section.getByTestId("placement-decisions")).or(section.getByTestId("archived-shardlets"))).toBeVisible();
  if (await empty.isVisible()) {
    await expect(empty).toHaveText(/^No archive decision yet: placement archives payloads older than 6 h once a shardlet holds 1 MiB of them\.$/);
    await expect(section.getByTestId("placement-ratio")).toHaveText("—");
  }
  await expect(section.getByTestId("placement-error")).toHaveCount(0);
  await screenshot(page, "cache-placement");

  // The Settings link lands on the section that tunes it.
  await section.getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(/\/settings#placement-h$/);
  await expect(page.getByTestId("placement-settings")).toBeVisible();
});

test("rows archived on the hosts show with their host, position and compression", async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  const token = await createApiKey(page, "e2e-placement");
  await createStreamInConsole(page, { name: stream, shardCount: 2 });
  // Alike payloads, as a real stream's are: gzip finds their shared structure.
  const events = Array.from({ length: 300 }, (_, i) => ({ key: `device-${i}`, type: "reading", payload: { device: `device-${i}`, unit: "celsius", value: 20 + (i % 7) } }));
  const sent = await page.request.post(`${EDGE_URL}/v1/streams/${stream}/events`, { headers: { Authorization: `Bearer ${token}` }, data: { events } });
  expect(sent.status(), await sent.text()).toBe(200);

  const db = openControlDb();
  const hosts = new HostPool(db, { poolSize: 1 });
  let archived = 0;
  try {
    const s = await getStreamByName(db, stream);
    for (const sh of await listShardlets(db, { streamId: s!.id })) {
      const chunk = await (await hosts.get(sh.hostId)).archiveChunk({ streamId: sh.streamId, lo: sh.lo, hi: sh.hi, storedBefore: Date.now() + 60_000, limit: 500 });
      archived += chunk?.events ?? 0;
    }
  } finally {
    await hosts.closeAll();
    await db.$disconnect();
  }
  expect(archived).toBe(300);

  await page.goto(`/cache?stream=${stream}`);
  const section = page.getByTestId("placement-section");
  await expect(section.getByTestId("placement-archived-events")).toHaveText("300");
  await expect(section.getByTestId("placement-empty")).toHaveCount(0);
  const rows = section.getByTestId("archived-shardlet");
  await expect(rows.first()).toBeVisible();
  await expect(rows.first()).toContainText(stream);
  await expect(section.getByTestId("archive-total")).toHaveAttribute("data-stream", stream);
  await expect(section.getByTestId("placement-ratio")).toHaveText(/^\d+(\.\d)?×$/);
  await expect(section.getByTestId("placement-bytes")).toHaveText(/^\d+(\.\d)? (B|KiB|MiB) → \d+(\.\d)? (B|KiB|MiB)$/);
  let perRow = 0;
  for (const row of await rows.all()) perRow += Number(await row.getAttribute("data-events"));
  expect(perRow).toBe(300);
  await screenshot(page, "cache-placement-archived");
});

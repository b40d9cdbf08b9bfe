import { expect, test, type Page } from "@playwright/test";
import { createReplicaRecord, getStreamByName, listHostNames, listShardlets, markReplicaDropping, type ControlDb, type ReplicaInfo } from "@shardcast/db";
import { openControlDb } from "../support/control-db.ts";
import { createStreamInConsole, openPageAs, screenshot, signIn, signInAsNewUser, uniqueName } from "../support/console.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD, WEB_URL } from "../support/env.ts";

// Read replicas in the console: a stream without one explains on the Cache & prefetch page what a
// replica is and when the placement job makes one. A replica recorded as the worker records it
// (its control-database record, with @shardcast/db's own function; the sync job then fills it)
// shows in that page's table, to a viewer too, and marks its shardlet on the shard map.
test.describe.configure({ mode: "serial" });

const stream = uniqueName("e2e-replica");
let db: ControlDb | undefined;
let replica: ReplicaInfo | null = null;
/** The placement settings found, put back at the end. */
let placementBefore: Record<string, unknown> | null = null;

async function placementSettings(page: Page): Promise<Record<string, unknown>> {
  const res = await page.request.get("/api/trpc/cache.placementSettings");
  expect(res.status()).toBe(200);
  return ((await res.json()) as { result: { data: { json: { settings: Record<string, unknown> } } } }).result.data.json.settings;
}

async function savePlacementSettings(page: Page, settings: Record<string, unknown>): Promise<void> {
  const res = await page.request.post("/api/trpc/cache.updatePlacementSettings", { data: { json: settings }, headers: { origin: WEB_URL } });
  expect(res.status(), await res.text()).toBe(200);
}

test.beforeAll(() => {
  db = openControlDb();
});

test.afterAll(async ({ browser }) => {
  // Dropping is the sync job's own path: it deletes the host's rows, then the record.
  if (db && replica) await markReplicaDropping(db, replica.id, "e2e: seeded replica dropped");
  await db?.$disconnect();
  if (placementBefore) {
    const page = await openPageAs(browser, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    await savePlacementSettings(page, placementBefore);
    await page.context().close();
  }
});

test("a stream without replicas says what they are and when the placement job makes them", async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  // The placement job drops a replica whose shardlet nobody reads; off, it leaves the seeded one be.
  placementBefore = await placementSettings(page);
  await savePlacementSettings(page, { ...placementBefore, enabled: false });
  await createStreamInConsole(page, { name: stream, shardCount: 2 });

  await page.goto(`/cache?stream=${stream}`);
  const section = page.getByTestId("replicas-section");
  await expect(section.getByRole("heading", { name: "Read replicas" })).toBeVisible();
  const empty = section.getByTestId("replicas-empty");
  await expect(empty).toContainText(`No read replica of ${stream} yet.`);
  await expect(empty).toContainText("copy of a shardlet's key-hash range on another storage host");
  await expect(empty).toContainText("hot shardlet that consumers read, when there are at least two hosts");
  await expect(empty).toHaveAttribute("data-reason", "none");
  await expect(section.getByTestId("replicas-table")).toHaveCount(0);
  await expect(section.getByTestId("replicas-error")).toHaveCount(0);
});

test("a replica shows in the Cache page's table, to a viewer too, and marks its shardlet on the shard map", async ({ page, browser }) => {
  const s = await getStreamByName(db!, stream);
  const [shardlet] = await listShardlets(db!, { streamId: s!.id });
  const hosts = await listHostNames(db!);
  const target = hosts.find((h) => h.id !== shardlet!.hostId)!;
  const source = hosts.find((h) => h.id === shardlet!.hostId)!;
  replica = await createReplicaRecord(db!, {
    streamId: s!.id,
    shardletId: shardlet!.id,
    hostId: target.id,
    sourceHostId: shardlet!.hostId,
    epoch: shardlet!.epoch,
    lo: shardlet!.lo,
    hi: shardlet!.hi,
    reason: "read by 2 consumers at 450 events/s",
  });

  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto(`/cache?stream=${stream}`);
  const section = page.getByTestId("replicas-section");
  const row = section.getByTestId("replica-row");
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute("data-id", replica.id);
  await expect(row).toHaveAttribute("data-stream", stream);
  await expect(row).toHaveAttribute("data-state", "ready");
  await expect(row.getByTestId("replica-host")).toHaveText(target.name);
  await expect(row.getByTestId("replica-source")).toHaveText(source.name);
  await expect(row).toContainText("read by 2 consumers at 450 events/s");
  await expect(section.getByTestId("replicas-count")).toContainText("1 (1)");
  await expect(section.getByTestId("replicas-empty")).toHaveCount(0);
  await screenshot(page, "cache-replicas");

  const { page: vpage, context } = await signInAsNewUser(page, browser, { name: "Rhea Viewer", prefix: "replicas-viewer", role: "viewer" });
  await vpage.goto(`/cache?stream=${stream}`);
  await expect(vpage.getByTestId("replicas-section").getByTestId("replica-row")).toHaveAttribute("data-id", replica.id);
  await context.close();

  await page.goto("/shard-map");
  await page.getByTestId("shardmap-stream-filter").selectOption({ label: stream });
  const marked = page.getByTestId("shardmap-host-" + source.name).locator(`[data-testid="shardlet-row"][data-id="${shardlet!.id}"]`).getByTestId("shardlet-replicated");
  await expect(marked).toHaveText(`replicated to ${target.name}`);
  await expect(marked).toHaveAttribute("title", new RegExp(`^Read replica on ${target.name} \\(`));
  // Only the replicated shardlet is marked.
  await expect(page.getByTestId("shardlet-replicated")).toHaveCount(1);
  await screenshot(page, "shard-map-replicated");
});

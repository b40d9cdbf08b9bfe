import { expect, test, type Locator } from "@playwright/test";
import { createStreamInConsole, screenshot, signIn, trpcMutation, trpcQuery, uniqueName } from "../support/console.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD } from "../support/env.ts";

// The console's list tables: a click on a header sorts (and says so with aria-sort), a list longer
// than a page pages, and a list with no rows shows its caller's empty state. Seen on the API keys
// table, made long through the console's own API, and on a new stream's page.

const PAGE_SIZE = 25;
const stream = uniqueName("e2e-tables");
const prefix = uniqueName("tables-key");

// How the table compares names: case-blind, digit runs by value.
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/** Whether each name sorts at or after (ascending) or before (descending) the one above it. */
function sortedBy(names: string[], direction: "ascending" | "descending"): boolean {
  const sign = direction === "ascending" ? 1 : -1;
  return names.every((name, i) => i === 0 || sign * collator.compare(name, names[i - 1]!) >= 0);
}

/** The key names of the rows shown, top to bottom. */
async function shownNames(table: Locator): Promise<string[]> {
  const ids = await table.locator('tbody tr[data-testid^="api-key-row-"]').evaluateAll((rows: Array<{ getAttribute(name: string): string | null }>) =>
    rows.map((r) => r.getAttribute("data-testid") ?? ""),
  );
  return ids.map((id) => id.slice("api-key-row-".length));
}

test("a list table sorts by a header, pages a long list and shows its empty state", async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await createStreamInConsole(page, { name: stream, shardCount: 1 });

  // A new stream has no events: the events table gives way to its empty state.
  await expect(page.getByTestId("no-events")).toHaveText("No events yet. Send some with the command above.");
  await expect(page.getByTestId("events-table")).toHaveCount(0);
  // Its shards fit one page: no pager.
  await expect(page.getByTestId("shards-table").locator("tbody tr")).toHaveCount(1);
  await expect(page.getByTestId("shards-table-pager")).toHaveCount(0);

  // Enough keys that the list runs past a page, whatever earlier specs made.
  for (let i = 0; i < PAGE_SIZE + 2; i++) {
    const name = `${prefix}-${String(i).padStart(2, "0")}`;
    const res = await trpcMutation(page, "apikeys.create", { name, streams: [stream], canProduce: true, canConsume: false });
    expect(res.status, res.text).toBe(200);
  }
  const total = (await trpcQuery<{ keys: Array<{ name: string }> }>(page, "apikeys.list")).keys.length;
  expect(total).toBeGreaterThan(PAGE_SIZE);

  await page.goto("/api-keys");
  const table = page.getByTestId("api-keys-table");
  const pager = page.getByTestId("api-keys-table-pager");
  const rows = table.locator('tbody tr[data-testid^="api-key-row-"]');
  await expect(rows).toHaveCount(PAGE_SIZE);
  await expect(pager.getByTestId("pager-range")).toHaveText(`Rows 1–${PAGE_SIZE} of ${total}`);
  await expect(pager.getByTestId("pager-previous")).toBeDisabled();
  // Newest first until a header is clicked: the last key made leads.
  const unsorted = await shownNames(table);
  expect(unsorted[0]).toBe(`${prefix}-${String(PAGE_SIZE + 1).padStart(2, "0")}`);

  await pager.getByTestId("pager-next").click();
  await expect(pager.getByTestId("pager-range")).toHaveText(`Rows ${PAGE_SIZE + 1}–${Math.min(total, 2 * PAGE_SIZE)} of ${total}`);
  await expect(rows).toHaveCount(Math.min(PAGE_SIZE, total - PAGE_SIZE));
  expect(await shownNames(table)).not.toContain(unsorted[0]);
  await pager.getByTestId("pager-previous").click();
  await expect(pager.getByTestId("pager-range")).toHaveText(`Rows 1–${PAGE_SIZE} of ${total}`);

  const nameHeader = table.getByRole("columnheader", { name: "Name" });
  await expect(nameHeader).not.toHaveAttribute("aria-sort");
  await nameHeader.getByRole("button").click();
  await expect(nameHeader).toHaveAttribute("aria-sort", "ascending");
  await expect.poll(async () => (await shownNames(table))[0], { message: "the first row after sorting" }).not.toBe(unsorted[0]);
  const ascending = await shownNames(table);
  expect(sortedBy(ascending, "ascending"), ascending.join(", ")).toBe(true);
  expect(ascending).not.toEqual(unsorted);
  // Only the sorted column says so.
  await expect(table.locator("th[aria-sort]")).toHaveCount(1);
  await screenshot(page, "tables-sorted");

  await nameHeader.getByRole("button").click();
  await expect(nameHeader).toHaveAttribute("aria-sort", "descending");
  await expect.poll(async () => (await shownNames(table))[0], { message: "the first row sorted the other way" }).not.toBe(ascending[0]);
  const descending = await shownNames(table);
  expect(sortedBy(descending, "descending"), descending.join(", ")).toBe(true);
});

import { expect, test } from "@playwright/test";
import { createStreamInConsole, screenshot, signIn, uniqueName } from "../support/console.ts";
import { joinGroup } from "../support/edge.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD, EDGE_URL } from "../support/env.ts";

// An API key scoped to one consumer group, made on the API keys page, reaches only that group on
// the edge; the Consumers page deletes the group, refusing while its member is live unless told
// to delete anyway, and the operations log records it.
test("a key scoped to a group joins only it, and the group is deleted from the Consumers page", async ({ page, request }) => {
  const stream = uniqueName("e2e-scoped");
  const group = "e2e-billing";
  const keyName = uniqueName("billing-key");
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await createStreamInConsole(page, { name: stream, shardCount: 1 });

  await page.goto("/api-keys");
  await page.getByTestId("api-key-name").fill(keyName);
  await page.getByTestId("api-key-groups").fill(`${group}, bad/name`);
  await page.getByTestId("create-api-key-submit").click();
  await expect(page.getByTestId("create-api-key-form").getByRole("alert")).toContainText('Consumer group "bad/name" is not a group name');
  await page.getByTestId("api-key-groups").fill(group);
  await page.getByTestId("create-api-key-submit").click();
  const token = ((await page.getByTestId("api-key-token").textContent()) ?? "").trim();
  expect(token).toMatch(/^sc_[0-9a-f]+_\S{20,}$/);
  await expect(page.getByTestId(`api-key-row-${keyName}`).getByTestId("api-key-consumer-groups")).toHaveText(group);

  const elsewhere = await request.post(`${EDGE_URL}/v1/streams/${stream}/groups/e2e-other/members`, { headers: { Authorization: `Bearer ${token}` }, data: {} });
  expect(elsewhere.status()).toBe(403);
  expect(await elsewhere.text()).toContain(`is not scoped to consumer group \\"e2e-other\\"`);
  await joinGroup(request, { stream, group, token }, "billing-1");

  await page.goto(`/streams/${stream}/consumers`);
  await expect(page.getByTestId("consumer-groups")).toContainText(group);
  await expect(page.getByTestId("member-billing-1")).toBeVisible();
  page.on("dialog", (dialog) => void dialog.accept());
  await page.getByTestId("delete-group").click();
  await expect(page.getByTestId("delete-group-error")).toContainText("has 1 live member (billing-1)");
  await expect(page.getByTestId("consumer-groups")).toContainText(group);
  await page.getByTestId("delete-group-force").check();
  await page.getByTestId("delete-group").click();
  await expect(page.getByTestId("group-deleted")).toHaveText(new RegExp(`^Deleted group ${group}: 1 member, \\d+ assignments? and \\d+ checkpoints? removed\\.$`));
  await expect(page.getByTestId("consumers-empty")).toBeVisible();
  await screenshot(page, "consumer-group-deleted");

  await page.goto("/operations");
  await expect(page.getByTestId("operations-table")).toContainText(`deleted consumer group ${group} of stream ${stream}, with 1 live member (billing-1)`);
});

import { expect, test } from "@playwright/test";
import { createUser, openPageAs, screenshot, uniqueName } from "../support/console.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD, WEB_URL } from "../support/env.ts";

test("a viewer sees the console but none of the admin or operator actions", async ({ browser }) => {
  const email = `${uniqueName("viewer")}@example.com`;
  const password = "viewer-password-1";

  const admin = await openPageAs(browser, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  await createUser(admin, { name: "Vera Viewer", email, password, role: "viewer" });
  await expect(admin.getByTestId("users-table")).toContainText(email);
  await screenshot(admin, "users");
  await admin.context().close();

  const page = await openPageAs(browser, { email, password });
  await expect(page.getByTestId("current-role")).toHaveText("viewer");
  await expect(page.getByTestId("nav-api-keys")).toHaveCount(0);
  await expect(page.getByTestId("nav-users")).toHaveCount(0);

  await page.goto("/streams");
  await expect(page.getByRole("heading", { name: "All streams" })).toBeVisible();
  await expect(page.getByTestId("create-stream-form")).toHaveCount(0);

  await page.goto("/hosts");
  await expect(page.getByTestId("hosts-table")).toBeVisible();
  await expect(page.getByTestId("register-host-form")).toHaveCount(0);
  await expect(page.getByTestId("capacity-override-form")).toHaveCount(0);
  await expect(page.getByTestId("hosts-admin-note")).toBeVisible();

  await page.goto("/api-keys");
  await expect(page.getByTestId("admin-only")).toBeVisible();
  await expect(page.getByTestId("create-api-key-form")).toHaveCount(0);
  await screenshot(page, "viewer-api-keys");

  // The API refuses too, not just the UI: the console's own session calling an admin procedure.
  const res = await page.request.get("/api/trpc/apikeys.list");
  expect(res.status()).toBe(403);
  const createStream = await page.request.post("/api/trpc/streams.create", {
    data: { json: { name: uniqueName("viewer-stream"), shardCount: 1 } },
    // Same-origin, as the page itself would send it: the refusal is the role's, not the origin check's.
    headers: { origin: WEB_URL },
  });
  expect(createStream.status()).toBe(403);
  expect(await createStream.text()).toMatch(/needs the \w+ role/);
  await page.context().close();
});

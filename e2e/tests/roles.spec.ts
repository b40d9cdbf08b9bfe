import { expect, test } from "@playwright/test";
import { screenshot, signIn, uniqueName } from "../support/console.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD, WEB_URL } from "../support/env.ts";

test("a viewer sees the console but none of the admin or operator actions", async ({ browser }) => {
  const email = `${uniqueName("viewer")}@example.com`;
  const password = "viewer-password-1";

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
  await admin.goto("/users");
  await admin.getByTestId("user-name").fill("Vera Viewer");
  await admin.getByTestId("user-email").fill(email);
  await admin.getByTestId("user-password").fill(password);
  await admin.getByTestId("user-role").selectOption("viewer");
  await admin.getByTestId("create-user-submit").click();
  await expect(admin.getByTestId("user-created")).toContainText(email);
  await expect(admin.getByTestId("users-table")).toContainText(email);
  await screenshot(admin, "users");
  await adminContext.close();

  const viewerContext = await browser.newContext();
  const page = await viewerContext.newPage();
  await signIn(page, email, password);
  await expect(page.getByTestId("current-role")).toHaveText("viewer");
  await expect(page.getByTestId("nav-api-keys")).toHaveCount(0);
  await expect(page.getByTestId("nav-users")).toHaveCount(0);

  await page.goto("/streams");
  await expect(page.getByRole("heading", { name: "All streams" })).toBeVisible();
  await expect(page.getByTestId("create-stream-form")).toHaveCount(0);

  await page.goto("/hosts");
  await expect(page.getByTestId("hosts-table")).toBeVisible();
  await expect(page.getByTestId("register-host-form")).toHaveCount(0);
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
  await viewerContext.close();
});

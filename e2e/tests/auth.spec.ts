import { expect, test } from "@playwright/test";
import { screenshot, signIn } from "../support/console.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD } from "../support/env.ts";

test("an unauthenticated visit to a console page redirects to the sign-in page", async ({ page }) => {
  await page.goto("/streams");
  await expect(page).toHaveURL(/\/login(\?|$)/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await screenshot(page, "login");
});

test("a wrong password shows an error and keeps the user out", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(ADMIN_EMAIL);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("login-error")).toHaveText("Email or password is incorrect.");
  await screenshot(page, "login-error");

  // An unknown email gets the very same message, so sign-in does not reveal who has an account.
  await page.getByLabel("Email").fill("nobody@example.com");
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("login-error")).toHaveText("Email or password is incorrect.");

  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
});

test("the admin signs in, sees the overview and signs out", async ({ page, context }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD, { through: "form" });
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await expect(page.getByTestId("current-role")).toHaveText("admin");
  await expect(page.getByTestId("overview-hosts")).toBeVisible();

  const cookie = (await context.cookies()).find((c) => c.name === "sc_session");
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe("Lax");

  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/hosts");
  await expect(page).toHaveURL(/\/login/);
});

test("the first-run page is closed once an admin exists", async ({ page }) => {
  await page.goto("/setup");
  await expect(page).toHaveURL(/\/login/);
});

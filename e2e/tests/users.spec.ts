import { expect, test, type Page } from "@playwright/test";
import { createApiKey, createUser, openPageAs, screenshot, signIn, uniqueName } from "../support/console.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD, EDGE_URL } from "../support/env.ts";

/** Accepts the next confirm dialog the page opens (the console asks before ending sessions). */
function acceptNextDialog(page: Page): void {
  page.once("dialog", (dialog) => void dialog.accept());
}

/** The page's session is gone: the API refuses it and a console page asks for a sign-in. */
async function expectSignedOut(page: Page): Promise<void> {
  expect((await page.request.get("/api/trpc/streams.list")).status()).toBe(401);
  // A page that polls is sent to sign in by its own refused request, which can interrupt ours.
  await expect(async () => {
    if (!new URL(page.url()).pathname.startsWith("/login")) await page.goto("/streams");
    await expect(page).toHaveURL(/\/login/, { timeout: 2_000 });
  }).toPass();
}

test("an admin disables a user: the user's session ends at once, and sign-in works again only once enabled", async ({ browser }) => {
  const email = `${uniqueName("leaver")}@example.com`;
  const password = "leaver-password-1";
  const admin = await openPageAs(browser, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  await createUser(admin, { name: "Lee Leaver", email, password, role: "operator" });

  const user = await openPageAs(browser, { email, password });
  await user.goto("/streams");
  await expect(user.getByRole("heading", { name: "All streams" })).toBeVisible();

  const row = admin.getByTestId(`user-row-${email}`);
  await expect(row.getByTestId("user-status")).toHaveText("active");
  acceptNextDialog(admin);
  await row.getByTestId("user-disable").click();
  await expect(admin.getByTestId("user-action-result")).toHaveText(`Disabled ${email}; 1 sign-in session ended.`);
  await expect(row.getByTestId("user-status")).toHaveText("disabled");
  await screenshot(admin, "users-disabled");

  // The user's open page is signed out: its next request is refused and the console asks for a sign-in.
  await expectSignedOut(user);
  await user.getByLabel("Email").fill(email);
  await user.getByLabel("Password").fill(password);
  await user.getByTestId("login-submit").click();
  await expect(user.getByTestId("login-error")).toHaveText("Email or password is incorrect.");

  await row.getByTestId("user-enable").click();
  await expect(admin.getByTestId("user-action-result")).toHaveText(`Enabled ${email}.`);
  await signIn(user, email, password, { through: "form" });
  await expect(user.getByTestId("current-role")).toHaveText("operator");

  // A role change ends the sessions too; the next sign-in carries the new role.
  acceptNextDialog(admin);
  await row.getByTestId("user-role-select").selectOption("viewer");
  await expect(admin.getByTestId("user-action-result")).toHaveText(`${email} is now a viewer; 1 sign-in session ended.`);
  await expectSignedOut(user);
  await signIn(user, email, password, { through: "form" });
  await expect(user.getByTestId("current-role")).toHaveText("viewer");

  await user.context().close();
  await admin.context().close();
});

test("a user changes their password, ending their other sessions, then signs out everywhere", async ({ browser }) => {
  const email = `${uniqueName("mover")}@example.com`;
  const admin = await openPageAs(browser, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  await createUser(admin, { name: "Mo Mover", email, password: "first-password-1", role: "viewer" });
  await admin.context().close();

  // Two sign-ins, two sessions.
  const desk = await openPageAs(browser, { email, password: "first-password-1" }, { through: "form" });
  const laptop = await openPageAs(browser, { email, password: "first-password-1" }, { through: "form" });

  await desk.getByTestId("nav-account").click();
  await expect(desk.getByRole("heading", { name: "Account" })).toBeVisible();
  await desk.getByTestId("current-password").fill("not-my-password");
  await desk.getByTestId("new-password").fill("second-password-2");
  await desk.getByTestId("repeat-password").fill("second-password-2");
  await desk.getByTestId("change-password-submit").click();
  await expect(desk.getByTestId("change-password-form")).toContainText("Current password is incorrect.");

  await desk.getByTestId("current-password").fill("first-password-1");
  await desk.getByTestId("change-password-submit").click();
  await expect(desk.getByTestId("password-changed")).toHaveText("Password changed. 1 other sign-in session ended; this one stays.");
  await screenshot(desk, "account");
  await expectSignedOut(laptop);
  await signIn(laptop, email, "second-password-2", { through: "form" });

  acceptNextDialog(desk);
  await desk.getByTestId("sign-out-everywhere").click();
  await expect(desk).toHaveURL(/\/login/);
  await expectSignedOut(laptop);

  await desk.context().close();
  await laptop.context().close();
});

/** The edge's answer to the key (auth comes before the stream lookup: 403 refused, 404 for this unknown stream once let in). */
async function edgeStatus(token: string): Promise<number> {
  const res = await fetch(`${EDGE_URL}/v1/streams/${uniqueName("no-such-stream")}/events?limit=1`, { headers: { authorization: `Bearer ${token}` } });
  return res.status;
}

test("a key of an admin who is demoted is refused until another admin adopts it", async ({ browser }) => {
  const email = `${uniqueName("issuer")}@example.com`;
  const password = "issuer-password-1";
  const keyName = uniqueName("inherited");
  const admin = await openPageAs(browser, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  await createUser(admin, { name: "Ivy Issuer", email, password, role: "admin" });
  const issuer = await openPageAs(browser, { email, password });
  const token = await createApiKey(issuer, keyName);
  await expect.poll(() => edgeStatus(token)).toBe(404);

  // The confirmation warns of the key before the demotion stops it.
  await admin.goto("/users");
  const question = new Promise<string>((resolve) => {
    admin.once("dialog", (dialog) => {
      resolve(dialog.message());
      void dialog.accept();
    });
  });
  await admin.getByTestId(`user-row-${email}`).getByTestId("user-role-select").selectOption("operator");
  expect(await question).toContain("1 API key they created will stop working: adopt it on the API keys page first");
  await expect(admin.getByTestId("user-action-result")).toHaveText(`${email} is now an operator; 1 API key they created stopped working; 1 sign-in session ended.`);
  await expect.poll(() => edgeStatus(token)).toBe(403);

  await admin.goto("/api-keys");
  const row = admin.getByTestId(`api-key-row-${keyName}`);
  await expect(row.getByTestId("api-key-status")).toHaveText("refused: creator no longer admin");
  await expect(row.getByTestId("api-key-creator")).toHaveText(`by ${email}`);
  await screenshot(admin, "api-keys-refused");
  acceptNextDialog(admin);
  await row.getByTestId("adopt-key").click();
  await expect(row.getByTestId("api-key-status")).toHaveText("active");
  await expect(row.getByTestId("api-key-creator")).toHaveText("by you");
  await expect(row.getByTestId("adopt-key")).toHaveCount(0);
  // The same token works again at the edge, without being re-issued.
  await expect.poll(() => edgeStatus(token)).toBe(404);

  await issuer.context().close();
  await admin.context().close();
});

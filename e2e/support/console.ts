import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { ADMIN_EMAIL, ADMIN_PASSWORD, WEB_URL } from "./env.ts";

/** The console's session cookie (httpOnly, SameSite=Lax). */
const SESSION_COOKIE = "sc_session";

const screensDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "test-results", "screens");

/**
 * Sessions signed in so far, by email. The suite runs in one Playwright worker, so every spec
 * file shares them: a test after the first for a user starts from that user's session instead of
 * the form, whose password check (scrypt, a large share of a core) made every test pay seconds
 * while the rest of `npm test` shares the machine. The form itself is covered by auth.spec.ts.
 */
const sessions = new Map<string, Awaited<ReturnType<BrowserContext["cookies"]>>>();

/**
 * Signs `email` in on the page and waits until the console shows them. `through: "form"` always
 * uses the sign-in form (the tests of sign-in itself); otherwise a live session of the same user,
 * if this run has one, is reused and the form is the fallback when it has ended (signed out,
 * password changed).
 */
export async function signIn(page: Page, email: string, password: string, opts: { through?: "form" } = {}): Promise<void> {
  const saved = opts.through === "form" ? undefined : sessions.get(email);
  if (saved) {
    await page.context().addCookies(saved);
    await page.goto("/");
    // Without a live session the console sends the browser to the sign-in form.
    const signedIn = page.getByTestId("current-user");
    await expect(signedIn.or(page.getByTestId("login-submit"))).toBeVisible();
    if (await signedIn.isVisible()) {
      await expect(signedIn).toContainText(email);
      return;
    }
    sessions.delete(email);
    await page.context().clearCookies({ name: SESSION_COOKIE });
  }
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("current-user")).toContainText(email);
  sessions.set(email, (await page.context().cookies()).filter((c) => c.name === SESSION_COOKIE));
}

/** Full-page screenshot under e2e/test-results/screens/<name>.png for a human look at the UI. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screensDir, { recursive: true });
  await page.screenshot({ path: path.join(screensDir, `${name}.png`), fullPage: true });
}

/** A name no earlier run used, so tests never depend on leftovers. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

/** Creates a console user through the Users page (the admin's page must be signed in) and waits for the confirmation. */
export async function createUser(page: Page, user: { name: string; email: string; password: string; role: "viewer" | "operator" | "admin" }): Promise<void> {
  await page.goto("/users");
  await page.getByTestId("user-name").fill(user.name);
  await page.getByTestId("user-email").fill(user.email);
  await page.getByTestId("user-password").fill(user.password);
  await page.getByTestId("user-role").selectOption(user.role);
  await page.getByTestId("create-user-submit").click();
  await expect(page.getByTestId("user-created")).toContainText(user.email);
}

/**
 * Creates a user with `role` from the admin's page and signs it in in a browser context of its
 * own (close the context at the end): how the role specs see the console as that user.
 */
export async function signInAsNewUser(
  adminPage: Page,
  browser: Browser,
  user: { name: string; prefix: string; role: "viewer" | "operator" | "admin" },
): Promise<{ page: Page; context: BrowserContext; email: string }> {
  const email = `${uniqueName(user.prefix)}@example.com`;
  const password = `${user.role}-password-1`;
  await createUser(adminPage, { name: user.name, email, password, role: user.role });
  const page = await openPageAs(browser, { email, password });
  return { page, context: page.context(), email };
}

/** A console API query with the page's session (tRPC over GET, superjson envelope); omit `input` for a procedure without one. */
export async function trpcQuery<T>(page: Page, path: string, input?: unknown): Promise<T> {
  const qs = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const res = await page.request.get(`/api/trpc/${path}${qs}`);
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

/** A tRPC mutation as the page itself sends it (same origin, the session's cookie); the status is the caller's to check. */
export async function trpcMutation(page: Page, path: string, input: unknown): Promise<{ status: number; text: string }> {
  const res = await page.request.post(`/api/trpc/${path}`, { data: { json: input }, headers: { origin: WEB_URL } });
  return { status: res.status(), text: await res.text() };
}

/** Signs the seeded admin in and opens `path`. */
export async function openAsAdmin(page: Page, path: string): Promise<void> {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto(path);
}

/**
 * Signs `who` in, in a browser context of its own, so several people can be signed in at once
 * (close it with `page.context().close()`). Two pages of one user share a session unless
 * `through: "form"` gives the second its own.
 */
export async function openPageAs(browser: Browser, who: { email: string; password: string }, opts: { through?: "form" } = {}): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, who.email, who.password, opts);
  return page;
}

/**
 * Creates an API key on the API keys page (an admin's page must be signed in) and returns its
 * token, which the page shows this once only. The page stays on the API keys list.
 */
export async function createApiKey(page: Page, name: string): Promise<string> {
  await page.goto("/api-keys");
  await page.getByTestId("api-key-name").fill(name);
  await page.getByTestId("create-api-key-submit").click();
  const tokenEl = page.getByTestId("api-key-token");
  await expect(tokenEl).toHaveText(/^sc_[0-9a-f]+_\S{20,}$/);
  return (await tokenEl.textContent())!.trim();
}

/**
 * Creates a stream with the Streams page's form (an operator's or admin's page must be signed in)
 * and waits for the stream's own page, where the form leads.
 */
export async function createStreamInConsole(page: Page, stream: { name: string; shardCount: number; shardletsPerShard?: number }): Promise<void> {
  await page.goto("/streams");
  await page.getByTestId("stream-name").fill(stream.name);
  await page.getByTestId("stream-shardCount").fill(String(stream.shardCount));
  // Not given, the field keeps the value the form starts with.
  if (stream.shardletsPerShard !== undefined) await page.getByTestId("stream-shardletsPerShard").fill(String(stream.shardletsPerShard));
  await page.getByTestId("create-stream-submit").click();
  await expect(page).toHaveURL(new RegExp(`/streams/${stream.name}$`));
}

/**
 * The analyzer's series in seconds, as in the demo (10 s steps, a 60-step season): the product
 * defaults are hourly steps and weeks of history, so on a system minutes old they forecast nothing
 * yet. Saved through the console's API as an admin would, for the rest of the run.
 */
export async function useSecondsSeries(page: Page): Promise<void> {
  const res = await trpcMutation(page, "analyzer.updateSettings", { bucketSec: 10, period: 60, historySteps: 180, horizonSec: 300 });
  expect(res.status, res.text).toBe(200);
}

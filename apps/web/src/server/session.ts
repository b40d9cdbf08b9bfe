import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { SESSION_COOKIE, type SessionUser } from "@shardcast/api";
import { countUsers } from "@shardcast/db";
import { getDeps, userForToken } from "./deps.ts";

export async function currentUser(): Promise<SessionUser | null> {
  const jar = await cookies();
  return userForToken(jar.get(SESSION_COOKIE)?.value);
}

export async function setupNeeded(): Promise<boolean> {
  return (await countUsers(getDeps().db)) === 0;
}

/** For console pages: the signed-in user, else a redirect to /setup (no users yet) or /login. */
export async function requireUser(): Promise<SessionUser> {
  const user = await currentUser();
  if (user) return user;
  if (await setupNeeded()) redirect("/setup");
  redirect("/login");
}

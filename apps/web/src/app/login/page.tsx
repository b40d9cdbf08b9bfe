import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { AuthCard } from "../../components/auth-card.tsx";
import { currentUser, setupNeeded } from "../../server/session.ts";
import { LoginForm } from "./login-form.tsx";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

/** Only same-site paths are followed after sign-in (no open redirect). */
function safeNext(raw: string | string[] | undefined): string {
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value && value.startsWith("/") && !value.startsWith("//") ? value : "/";
}

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const next = safeNext((await searchParams).next);
  if (await currentUser()) redirect(next);
  if (await setupNeeded()) redirect("/setup");
  return (
    <AuthCard title="Sign in" intro="Sign in to the Shardcast console.">
      <LoginForm next={next} />
    </AuthCard>
  );
}

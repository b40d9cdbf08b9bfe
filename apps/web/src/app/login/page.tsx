import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { AuthCard } from "../../components/auth-card.tsx";
import { safeNext } from "../../lib/safe-next.ts";
import { currentUser, setupNeeded } from "../../server/session.ts";
import { LoginForm } from "./login-form.tsx";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";


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

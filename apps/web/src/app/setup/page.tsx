import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { AuthCard } from "../../components/auth-card.tsx";
import { setupNeeded } from "../../server/session.ts";
import { SetupForm } from "./setup-form.tsx";

export const metadata: Metadata = { title: "First run" };
export const dynamic = "force-dynamic";

export default async function SetupPage() {
  if (!(await setupNeeded())) redirect("/login");
  return (
    <AuthCard title="Create the first admin" intro="This console has no users yet. The account you create here gets the admin role.">
      <SetupForm />
    </AuthCard>
  );
}

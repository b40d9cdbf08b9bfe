import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { setupNeeded } from "../../server/session.ts";
import { SetupForm } from "./setup-form.tsx";

export const metadata: Metadata = { title: "First run" };
export const dynamic = "force-dynamic";

export default async function SetupPage() {
  if (!(await setupNeeded())) redirect("/login");
  return (
    <main className="auth-page">
      <div className="auth-card">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Shardcast
        </span>
        <h1>Create the first admin</h1>
        <p>This console has no users yet. The account you create here gets the admin role.</p>
        <SetupForm />
      </div>
    </main>
  );
}

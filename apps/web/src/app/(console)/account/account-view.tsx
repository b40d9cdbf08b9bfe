"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { InputField } from "../../../components/fields.tsx";
import { ErrorNote, Notice, PageHeader } from "../../../components/ui.tsx";
import { useUser } from "../../../components/user-context.tsx";
import { fieldErrors } from "../../../lib/errors.ts";
import { useTRPC } from "../../../lib/trpc.ts";

export function AccountView() {
  const user = useUser();
  return (
    <>
      <PageHeader title="Account" subtitle={`Signed in as ${user.email} (${user.role}).`} />
      <ChangePassword />
      <SignOutEverywhere />
    </>
  );
}

function ChangePassword() {
  const trpc = useTRPC();
  const [currentPassword, setCurrentPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const change = useMutation(
    trpc.account.changePassword.mutationOptions({
      onMutate: () => setResult(null),
      onSuccess: (res) => {
        setCurrentPassword("");
        setNewPassword("");
        setRepeat("");
        const ended = res.sessionsEnded === 1 ? "1 other sign-in session" : `${res.sessionsEnded} other sign-in sessions`;
        setResult(`Password changed. ${res.sessionsEnded > 0 ? `${ended} ended` : "No other sign-in session was open"}; this one stays.`);
      },
    }),
  );
  const errors = fieldErrors(change.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // Checked here only: the server never sees the repeat, a typo in it would lock the user out.
    setMismatch(newPassword !== repeat);
    if (newPassword !== repeat) return;
    change.mutate({ currentPassword, newPassword });
  };
  return (
    <section className="card" aria-labelledby="password-h">
      <h2 id="password-h">Change password</h2>
      <p className="muted">Your other sign-in sessions end; this one stays signed in.</p>
      <form className="stack" onSubmit={submit} noValidate data-testid="change-password-form">
        {change.error && Object.keys(errors).length === 0 ? <ErrorNote error={change.error} testId="change-password-error" /> : null}
        <Notice message={result} testId="password-changed" />
        <div className="form-row">
          <InputField id="current-password" label="Current password" type="password" autoComplete="current-password" value={currentPassword} onChange={setCurrentPassword} error={errors.currentPassword} />
          <InputField id="new-password" label="New password" type="password" autoComplete="new-password" value={newPassword} onChange={setNewPassword} error={errors.newPassword} hint="At least 8 characters." />
          <InputField
            id="repeat-password"
            label="Repeat the new password"
            type="password"
            autoComplete="new-password"
            value={repeat}
            onChange={setRepeat}
            error={mismatch ? "the two new passwords differ" : null}
          />
        </div>
        <div>
          <button type="submit" disabled={change.isPending} data-testid="change-password-submit">
            {change.isPending ? "Changing…" : "Change password"}
          </button>
        </div>
      </form>
    </section>
  );
}

function SignOutEverywhere() {
  const trpc = useTRPC();
  const signOut = useMutation(trpc.account.signOutEverywhere.mutationOptions({ onSuccess: () => window.location.assign("/login") }));
  return (
    <section className="card" aria-labelledby="sessions-h">
      <h2 id="sessions-h">Sign-in sessions</h2>
      <p className="muted">Signed in somewhere you no longer use, or on a device you lost? End every sign-in session of yours, this one included.</p>
      <ErrorNote error={signOut.error} testId="sign-out-everywhere-error" />
      <button
        type="button"
        className="danger"
        disabled={signOut.isPending}
        onClick={() => {
          if (window.confirm("Sign out everywhere? Every sign-in session of yours ends, this one too.")) signOut.mutate();
        }}
        data-testid="sign-out-everywhere"
      >
        {signOut.isPending ? "Signing out…" : "Sign out everywhere"}
      </button>
    </section>
  );
}

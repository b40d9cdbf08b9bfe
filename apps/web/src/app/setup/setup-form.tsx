"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ErrorNote } from "../../components/ui.tsx";
import { useTRPC } from "../../lib/trpc.ts";

export function SetupForm() {
  const trpc = useTRPC();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const setup = useMutation(trpc.auth.setupAdmin.mutationOptions({ onSuccess: () => window.location.assign("/") }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (password.length < 8) return setLocalError("Password must have at least 8 characters.");
    if (password !== confirm) return setLocalError("The passwords do not match.");
    setLocalError(null);
    setup.mutate({ email, name, password });
  };
  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="setup-form">
      {localError ? (
        <div className="alert alert-error" role="alert">
          {localError}
        </div>
      ) : null}
      <ErrorNote error={setup.error} />
      <div className="field">
        <label htmlFor="name">Name</label>
        <input id="name" type="text" autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="email">Email</label>
        <input id="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="password">Password</label>
        <input id="password" type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <span className="hint">At least 8 characters.</span>
      </div>
      <div className="field">
        <label htmlFor="confirm">Confirm password</label>
        <input id="confirm" type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} />
      </div>
      <button type="submit" disabled={setup.isPending || setup.isSuccess}>
        {setup.isPending ? "Creating…" : "Create admin and sign in"}
      </button>
    </form>
  );
}

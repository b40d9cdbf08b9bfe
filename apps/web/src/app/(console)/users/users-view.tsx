"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { Role } from "@shardcast/core/types";
import { InputField } from "../../../components/fields.tsx";
import { AdminOnly, ErrorNote, PageHeader } from "../../../components/ui.tsx";
import { fieldErrors } from "../../../lib/errors.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { UsersTable } from "./users-table.tsx";

export function UsersView() {
  return (
    <>
      <PageHeader title="Users" subtitle="Viewers see everything; operators also create streams; admins manage hosts, keys and users." />
      <AdminOnly what="users">
        <UsersAdmin />
      </AdminOnly>
    </>
  );
}

function UsersAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: async () => {
        setEmail("");
        setName("");
        setPassword("");
        await queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
      },
    }),
  );
  const errors = fieldErrors(create.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ email, name, password, role });
  };
  return (
    <>
      <section className="card" aria-labelledby="new-user-h">
        <h2 id="new-user-h">Add a user</h2>
        <form className="stack" onSubmit={submit} noValidate data-testid="create-user-form">
          {create.error && Object.keys(errors).length === 0 ? <ErrorNote error={create.error} /> : null}
          {create.isSuccess ? (
            <div className="alert alert-ok" role="status" data-testid="user-created">
              User {create.data.email} created as {create.data.role}.
            </div>
          ) : null}
          <div className="form-row">
            <InputField id="user-name" label="Name" value={name} onChange={setName} error={errors.name} />
            <InputField id="user-email" label="Email" type="email" value={email} onChange={setEmail} error={errors.email} />
            <InputField id="user-password" label="Password" type="password" autoComplete="new-password" value={password} onChange={setPassword} error={errors.password} hint="At least 8 characters." />
            <div className="field">
              <label htmlFor="user-role">Role</label>
              <select id="user-role" value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="user-role">
                <option value="viewer">viewer</option>
                <option value="operator">operator</option>
                <option value="admin">admin</option>
              </select>
            </div>
          </div>
          <div>
            <button type="submit" disabled={create.isPending} data-testid="create-user-submit">
              {create.isPending ? "Adding…" : "Add user"}
            </button>
          </div>
        </form>
      </section>
      <UsersTable />
    </>
  );
}

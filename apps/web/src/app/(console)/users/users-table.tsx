"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { Role } from "@shardcast/core/types";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { ACTIONS_HEADER, columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { ErrorNote, Loading, Notice, StatusBadge } from "../../../components/ui.tsx";
import { useUser } from "../../../components/user-context.tsx";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";

type User = inferRouterOutputs<AppRouter>["users"]["list"]["users"][number];

const ROLE_OPTIONS: readonly Role[] = ["viewer", "operator", "admin"];

function sessionsNote(n: number): string {
  return n === 1 ? "1 sign-in session ended" : `${n} sign-in sessions ended`;
}

/** "an admin", "an operator", "a viewer". */
function withArticle(role: Role): string {
  return `${/^[aeiou]/.test(role) ? "an" : "a"} ${role}`;
}

function keysCount(n: number): string {
  return n === 1 ? "1 API key" : `${n} API keys`;
}

/** What a role change did to the keys the user created: a key grants no more than its creator holds. */
function keysNote(res: { keysStopped: number; keysRestored: number }): string {
  if (res.keysStopped > 0) return `; ${keysCount(res.keysStopped)} they created stopped working`;
  if (res.keysRestored > 0) return `; ${keysCount(res.keysRestored)} they created work again`;
  return "";
}

/** The question asked before a role change; demoting an admin warns of the keys it created, which the edges then refuse. */
function roleChangeQuestion(u: { email: string; role: Role; disabledAt: Date | null; activeApiKeys: number }, role: Role, mine: boolean): string {
  const whose = mine ? "Your" : `${u.email}'s`;
  const question = `Make ${u.email} ${withArticle(role)}? ${whose} sign-in sessions end now.`;
  if (u.role !== "admin" || role === "admin" || u.disabledAt || u.activeApiKeys === 0) return question;
  return `${question} ${keysCount(u.activeApiKeys)} ${mine ? "you" : "they"} created will stop working: adopt ${u.activeApiKeys === 1 ? "it" : "them"} on the API keys page first to keep ${u.activeApiKeys === 1 ? "it" : "them"} working.`;
}

/** Every user, with an admin's controls: the role, and disable or enable. */
export function UsersTable() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useUser();
  const [result, setResult] = useState<string | null>(null);
  const users = useQuery(trpc.users.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  const onChanged = async (res: { user: { id: string }; sessionsEnded: number }, done: string) => {
    // The admin's own session ended with the change: only a new sign-in can go on.
    if (res.user.id === me.id && res.sessionsEnded > 0) {
      window.location.assign("/login");
      return;
    }
    setResult(`${done}${res.sessionsEnded > 0 ? `; ${sessionsNote(res.sessionsEnded)}` : ""}.`);
    await queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  };
  const clear = () => setResult(null);
  const setRole = useMutation(
    trpc.users.setRole.mutationOptions({
      onMutate: clear,
      onSuccess: (res) => onChanged(res, `${res.user.email} is now ${withArticle(res.user.role)}${keysNote(res)}`),
    }),
  );
  const disable = useMutation(trpc.users.disable.mutationOptions({ onMutate: clear, onSuccess: (res) => onChanged(res, `Disabled ${res.user.email}`) }));
  const enable = useMutation(trpc.users.enable.mutationOptions({ onMutate: clear, onSuccess: (res) => onChanged(res, `Enabled ${res.user.email}`) }));
  const busy = setRole.isPending || disable.isPending || enable.isPending;
  const actionError = setRole.error ?? disable.error ?? enable.error;
  const cols = columns<User>([
    {
      id: "name",
      header: "Name",
      sortBy: (u) => u.name,
      cell: (u) => (
        <>
          {u.name}
          {u.id === me.id ? <span className="muted"> (you)</span> : null}
        </>
      ),
    },
    {
      id: "email",
      header: "Email",
      sortBy: (u) => u.email,
      cell: (u) => (
        <span className="truncate" title={u.email}>
          {u.email}
        </span>
      ),
    },
    {
      id: "role",
      header: "Role",
      sortBy: (u) => ROLE_OPTIONS.indexOf(u.role),
      cell: (u) => (
        <select
          value={u.role}
          disabled={busy}
          aria-label={`Role of ${u.email}`}
          style={{ width: "auto" }}
          onChange={(e) => {
            const role = e.target.value as Role;
            if (window.confirm(roleChangeQuestion(u, role, u.id === me.id))) {
              setRole.mutate({ id: u.id, role });
            }
          }}
          data-testid="user-role-select"
        >
          {ROLE_OPTIONS.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      ),
    },
    {
      id: "status",
      header: "Status",
      sortBy: (u) => (u.disabledAt ? "disabled" : "active"),
      td: (u) => ({ title: u.disabledAt ? `disabled ${formatDateTime(u.disabledAt)}` : undefined }),
      cell: (u) => <StatusBadge status={u.disabledAt ? "disabled" : "active"} testId="user-status" />,
    },
    { id: "created", header: "Created", sortBy: (u) => u.createdAt, cell: (u) => formatAgo(u.createdAt) },
    { id: "lastLogin", header: "Last sign-in", sortBy: (u) => u.lastLoginAt, cell: (u) => formatAgo(u.lastLoginAt) },
    {
      id: "actions",
      header: ACTIONS_HEADER,
      cell: (u) =>
        u.disabledAt ? (
          <button type="button" className="secondary small" disabled={busy} onClick={() => enable.mutate({ id: u.id })} data-testid="user-enable">
            Enable
          </button>
        ) : (
          <button
            type="button"
            className="danger small"
            disabled={busy}
            onClick={() => {
              if (window.confirm(`Disable ${u.email}? Their sign-in sessions end now and they cannot sign in until enabled again.`)) {
                disable.mutate({ id: u.id });
              }
            }}
            data-testid="user-disable"
          >
            Disable
          </button>
        ),
    },
  ]);

  return (
    <section className="card" aria-labelledby="users-h">
      <h2 id="users-h">Users</h2>
      <p className="muted">Changing a role or disabling a user ends that user&apos;s sign-in sessions at once. Users are disabled, not deleted, so the operations log keeps naming who did what.</p>
      <Notice message={result} testId="user-action-result" />
      <ErrorNote error={actionError} testId="user-action-error" />
      <ErrorNote error={users.error} />
      {users.isPending ? (
        <Loading what="users" />
      ) : users.data ? (
        <DataTable
          rows={users.data.users}
          columns={cols}
          rowKey={(u) => u.id}
          testId="users-table"
          rowProps={(u) => ({ className: u.disabledAt ? "retired" : undefined, "data-testid": `user-row-${u.email}` })}
          empty="No users yet."
        />
      ) : null}
    </section>
  );
}

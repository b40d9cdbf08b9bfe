"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { ACTIONS_HEADER, columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { AdminOnly, ErrorNote, Loading, PageHeader, StatusBadge } from "../../../components/ui.tsx";
import { useUser } from "../../../components/user-context.tsx";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { CreateApiKeyForm } from "./create-api-key-form.tsx";
import { describeQuota, QuotaForm } from "./quota-form.tsx";

/** Why the edges refuse a key for its creator: a key grants no more than its creator holds now. */
const REFUSAL_LABEL = {
  creator_disabled: "refused: creator disabled",
  creator_not_admin: "refused: creator no longer admin",
} as const;

type ApiKey = inferRouterOutputs<AppRouter>["apikeys"]["list"]["keys"][number];

function KeyStatus({ k }: { k: ApiKey }) {
  return (
    <>
      <span data-testid="api-key-status">
        {!k.revokedAt && k.creatorRefusal ? (
          <span className="badge badge-warn" data-testid="api-key-refusal">
            {REFUSAL_LABEL[k.creatorRefusal]}
          </span>
        ) : (
          <StatusBadge status={k.revokedAt ? "revoked" : "active"} />
        )}
      </span>
      <span className="lineage" title={k.lastUsedAt ? formatDateTime(k.lastUsedAt) : undefined}>
        {k.lastUsedAt ? `used ${formatAgo(k.lastUsedAt)}` : "never used"}
      </span>
    </>
  );
}

/** A key action's state, as the buttons need it. */
interface KeyMutation {
  isPending: boolean;
  mutate: (input: { id: string }) => void;
}

function KeyActions({ k, mine, adopt, revoke }: { k: ApiKey; mine: boolean; adopt: KeyMutation; revoke: KeyMutation }) {
  return (
    <>
      {k.revokedAt || mine ? null : (
        <button
          type="button"
          className="secondary small"
          disabled={adopt.isPending}
          onClick={() => {
            if (window.confirm(`Adopt key "${k.name}"? You become its creator: it works while you are an active admin, with the same token.`)) adopt.mutate({ id: k.id });
          }}
          data-testid="adopt-key"
        >
          Adopt
        </button>
      )}{" "}
      {k.revokedAt ? null : (
        <button
          type="button"
          className="danger small"
          disabled={revoke.isPending}
          onClick={() => {
            if (window.confirm(`Revoke key "${k.name}"? Clients using it are refused at once.`)) revoke.mutate({ id: k.id });
          }}
          data-testid="revoke-key"
        >
          Revoke
        </button>
      )}
    </>
  );
}

export function ApiKeysView() {
  return (
    <>
      <PageHeader title="API keys" subtitle="Producers and consumers authenticate to the edge with keys scoped to streams." />
      <AdminOnly what="API keys">
        <ApiKeysAdmin />
      </AdminOnly>
    </>
  );
}

function ApiKeysAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useUser();
  const [editing, setEditing] = useState<string | null>(null);
  const keys = useQuery(trpc.apikeys.list.queryOptions(undefined, { refetchInterval: 5000 }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.apikeys.list.queryKey() });
  const revoke = useMutation(trpc.apikeys.revoke.mutationOptions({ onSuccess: refresh }));
  const adopt = useMutation(trpc.apikeys.adopt.mutationOptions({ onSuccess: refresh }));
  const cols = columns<ApiKey>([
    {
      id: "name",
      header: "Name",
      sortBy: (k) => k.name,
      cell: (k) => (
        <>
          {k.name}
          <span className="lineage mono">sc_{k.prefix}_…</span>
        </>
      ),
    },
    {
      id: "streams",
      header: "Streams · access",
      td: { className: "fit" },
      sortBy: (k) => k.streams.join(", "),
      cell: (k) => (
        <>
          {k.streams.includes("*") ? <em>all streams</em> : k.streams.join(", ")}
          <span className="lineage">{[k.canProduce ? "produce" : null, k.canConsume ? "consume" : null].filter(Boolean).join(" + ")}</span>
        </>
      ),
    },
    {
      id: "groups",
      header: "Consumer groups",
      td: { className: "fit", "data-testid": "api-key-consumer-groups" },
      cell: (k) => (!k.canConsume ? "—" : k.consumerGroups.length === 0 ? <em>any group</em> : k.consumerGroups.join(", ")),
    },
    {
      id: "quota",
      header: "Rate limits",
      td: { className: "fit", "data-testid": "api-key-quota" },
      cell: (k) => (
        <>
          {describeQuota(k.quota)}{" "}
          {k.revokedAt ? null : (
            <button type="button" className="small secondary" onClick={() => setEditing(editing === k.id ? null : k.id)} data-testid="edit-quota">
              Edit
            </button>
          )}
        </>
      ),
    },
    {
      id: "created",
      header: "Created",
      sortBy: (k) => k.createdAt,
      td: (k) => ({ title: formatDateTime(k.createdAt) }),
      cell: (k) => (
        <>
          {formatAgo(k.createdAt)}
          <div className="muted creator" data-testid="api-key-creator" title={k.createdByEmail ?? undefined}>
            by {k.createdById === me.id ? "you" : (k.createdByEmail ?? "the system")}
          </div>
        </>
      ),
    },
    { id: "status", header: "Status · last used", sortBy: (k) => k.lastUsedAt, cell: (k) => <KeyStatus k={k} /> },
    { id: "actions", header: ACTIONS_HEADER, className: "sticky-end", cell: (k) => <KeyActions k={k} mine={k.createdById === me.id} adopt={adopt} revoke={revoke} /> },
  ]);
  return (
    <>
      <section className="card" aria-labelledby="create-key-h">
        <h2 id="create-key-h">Create a key</h2>
        <CreateApiKeyForm />
      </section>
      <section className="card" aria-labelledby="keys-h">
        <h2 id="keys-h">Keys</h2>
        <p className="muted">A key works only while its creator is an active admin; adopting a key makes you its creator, so it keeps working without a new token.</p>
        <ErrorNote error={keys.error ?? revoke.error ?? adopt.error} />
        {keys.isPending ? (
          <Loading what="API keys" />
        ) : keys.data ? (
          <DataTable
            rows={keys.data.keys}
            columns={cols}
            rowKey={(k) => k.id}
            testId="api-keys-table"
            rowProps={(k) => ({ "data-testid": `api-key-row-${k.name}` })}
            details={(k) => (editing === k.id ? <QuotaForm id={k.id} quota={k.quota} onDone={() => setEditing(null)} /> : null)}
            empty="No API keys yet."
          />
        ) : null}
      </section>
    </>
  );
}

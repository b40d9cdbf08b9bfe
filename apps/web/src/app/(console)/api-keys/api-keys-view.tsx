"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useState } from "react";
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
        ) : keys.data && keys.data.keys.length === 0 ? (
          <p className="empty">No API keys yet.</p>
        ) : keys.data ? (
          <div className="table-wrap">
            <table data-testid="api-keys-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Streams · access</th>
                  <th scope="col">Consumer groups</th>
                  <th scope="col">Rate limits</th>
                  <th scope="col">Created</th>
                  <th scope="col">Status · last used</th>
                  <th scope="col" className="sticky-end">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.data.keys.map((k) => (
                  <Fragment key={k.id}>
                    <tr data-testid={`api-key-row-${k.name}`}>
                      <td>
                        {k.name}
                        <span className="lineage mono">sc_{k.prefix}_…</span>
                      </td>
                      <td className="fit">
                        {k.streams.includes("*") ? <em>all streams</em> : k.streams.join(", ")}
                        <span className="lineage">{[k.canProduce ? "produce" : null, k.canConsume ? "consume" : null].filter(Boolean).join(" + ")}</span>
                      </td>
                      <td className="fit" data-testid="api-key-consumer-groups">{!k.canConsume ? "—" : k.consumerGroups.length === 0 ? <em>any group</em> : k.consumerGroups.join(", ")}</td>
                      <td className="fit" data-testid="api-key-quota">
                        {describeQuota(k.quota)}{" "}
                        {k.revokedAt ? null : (
                          <button type="button" className="small secondary" onClick={() => setEditing(editing === k.id ? null : k.id)} data-testid="edit-quota">
                            Edit
                          </button>
                        )}
                      </td>
                      <td title={formatDateTime(k.createdAt)}>
                        {formatAgo(k.createdAt)}
                        <div className="muted creator" data-testid="api-key-creator" title={k.createdByEmail ?? undefined}>
                          by {k.createdById === me.id ? "you" : (k.createdByEmail ?? "the system")}
                        </div>
                      </td>
                      <td>
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
                      </td>
                      <td className="sticky-end">
                        {k.revokedAt || k.createdById === me.id ? null : (
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
                      </td>
                    </tr>
                    {editing === k.id ? (
                      <tr>
                        <td colSpan={7}>
                          <QuotaForm id={k.id} quota={k.quota} onDone={() => setEditing(null)} />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}

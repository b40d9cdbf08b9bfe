"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { consumerNameSchema } from "@shardcast/core/consumers/names";
import { CopyButton, ErrorNote } from "../../../components/ui.tsx";
import { useTRPC } from "../../../lib/trpc.ts";

export function CreateApiKeyForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const streams = useQuery(trpc.streams.list.queryOptions());
  const [name, setName] = useState("");
  const [allStreams, setAllStreams] = useState(true);
  const [chosen, setChosen] = useState<string[]>([]);
  const [canProduce, setCanProduce] = useState(true);
  const [canConsume, setCanConsume] = useState(true);
  const [groups, setGroups] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const create = useMutation(
    trpc.apikeys.create.mutationOptions({
      onSuccess: async () => {
        setName("");
        setGroups("");
        await queryClient.invalidateQueries({ queryKey: trpc.apikeys.list.queryKey() });
      },
    }),
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() === "") return setLocalError("Enter a name for the key.");
    if (!allStreams && chosen.length === 0) return setLocalError("Choose at least one stream, or allow all streams.");
    if (!canProduce && !canConsume) return setLocalError("A key must be allowed to produce or consume.");
    const consumerGroups = canConsume ? groupList(groups) : [];
    const bad = consumerGroups.find((g) => !consumerNameSchema.safeParse(g).success);
    if (bad !== undefined) return setLocalError(`Consumer group "${bad}" is not a group name: letters, digits and . _ : @ + - only, at most 128 characters.`);
    setLocalError(null);
    create.mutate({ name: name.trim(), streams: allStreams ? ["*"] : chosen, canProduce, canConsume, consumerGroups });
  };

  const toggle = (stream: string) => setChosen((c) => (c.includes(stream) ? c.filter((s) => s !== stream) : [...c, stream]));

  return (
    <>
      {create.data ? (
        <div className="alert alert-ok" role="status" data-testid="new-api-key">
          <p style={{ margin: "0 0 6px" }}>
            <strong>Key created.</strong> Copy it now: it is shown only once and cannot be recovered.
          </p>
          <div className="token-box">
            <code data-testid="api-key-token">{create.data.token}</code>
            <CopyButton text={create.data.token} testId="copy-api-key" />
          </div>
        </div>
      ) : null}
      <form className="stack" onSubmit={submit} noValidate data-testid="create-api-key-form">
        {localError ? (
          <div className="alert alert-error" role="alert">
            {localError}
          </div>
        ) : null}
        <ErrorNote error={create.error} testId="create-api-key-error" />
        <div className="form-row">
          <div className="field">
            <label htmlFor="key-name">Name</label>
            <input id="key-name" type="text" placeholder="checkout-service" value={name} onChange={(e) => setName(e.target.value)} data-testid="api-key-name" />
          </div>
          <fieldset className="field" style={{ border: "none", padding: 0, margin: 0 }}>
            <legend style={{ fontWeight: 600, fontSize: 13, marginBottom: 4 }}>Access</legend>
            <label className="checkbox">
              <input type="checkbox" checked={canProduce} onChange={(e) => setCanProduce(e.target.checked)} /> Produce (write events)
            </label>
            <label className="checkbox">
              <input type="checkbox" checked={canConsume} onChange={(e) => setCanConsume(e.target.checked)} /> Consume (read events)
            </label>
          </fieldset>
          <fieldset className="field" style={{ border: "none", padding: 0, margin: 0, flex: 2 }}>
            <legend style={{ fontWeight: 600, fontSize: 13, marginBottom: 4 }}>Streams</legend>
            <label className="checkbox">
              <input type="checkbox" checked={allStreams} onChange={(e) => setAllStreams(e.target.checked)} data-testid="api-key-all-streams" /> All streams
            </label>
            {!allStreams ? (
              streams.data && streams.data.streams.length > 0 ? (
                streams.data.streams.map((s) => (
                  <label key={s.id} className="checkbox">
                    <input type="checkbox" checked={chosen.includes(s.name)} onChange={() => toggle(s.name)} /> {s.name}
                  </label>
                ))
              ) : (
                <span className="hint">No streams yet: allow all streams, or create a stream first.</span>
              )
            ) : null}
          </fieldset>
          {canConsume ? (
            <div className="field">
              <label htmlFor="key-groups">Consumer groups</label>
              <input id="key-groups" type="text" placeholder="any group" value={groups} onChange={(e) => setGroups(e.target.value)} data-testid="api-key-groups" />
              <span className="hint">Comma-separated. Empty: the key may join and read any group; named: only these.</span>
            </div>
          ) : null}
        </div>
        <div>
          <button type="submit" disabled={create.isPending} data-testid="create-api-key-submit">
            {create.isPending ? "Creating…" : "Create key"}
          </button>
        </div>
      </form>
    </>
  );
}

/** The groups typed in the field: split on commas and spaces, blanks dropped. */
function groupList(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((g) => g !== ""))];
}

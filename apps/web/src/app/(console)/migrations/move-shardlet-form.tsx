"use client";
import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { byName, SelectField } from "../../../components/fields.tsx";
import { fieldErrors } from "../../../lib/errors.ts";
import { formatBytes, formatRate } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { MOVE_MODES_TEXT } from "./mode-badge.tsx";
import type { Migration } from "./types.ts";

type Mode = Migration["mode"];
const MODES: readonly Mode[] = ["handoff", "copy"];

/** "Move shardlet S to host H" by hand-off or copy: the server checks headroom and starts the mover at once. */
export function MoveShardletForm({
  onSubmit,
  pending,
  error,
}: {
  onSubmit: (input: { shardletId: string; destHostId: string; mode: Mode }) => void;
  pending: boolean;
  error: unknown;
}) {
  const trpc = useTRPC();
  const [streamId, setStreamId] = useState("");
  const [shardletId, setShardletId] = useState("");
  const [destHostId, setDestHostId] = useState("");
  const [mode, setMode] = useState<Mode>("handoff");
  const [local, setLocal] = useState<Record<string, string>>({});
  const streams = useQuery(trpc.streams.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  const map = useQuery(trpc.shardmap.byHost.queryOptions({ includeRetired: false, ...(streamId ? { streamId } : {}) }, { enabled: streamId !== "", refetchInterval: 5_000 }));
  const shardlets = (map.data?.hosts ?? []).flatMap((h) => h.shardlets.filter((s) => s.state === "active").map((s) => ({ ...s, hostId: h.id, hostName: h.name })));
  shardlets.sort((a, b) => a.range.lo - b.range.lo);
  const chosen = shardlets.find((s) => s.id === shardletId);
  const dests = (map.data?.hosts ?? []).filter((h) => h.status === "active" && h.id !== chosen?.hostId);
  const server = fieldErrors(error);
  const errors = { ...server, ...local };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!shardletId) found.shardletId = "choose a shardlet";
    if (!destHostId) found.destHostId = "choose a destination host";
    setLocal(found);
    if (Object.keys(found).length > 0) return;
    onSubmit({ shardletId, destHostId, mode });
  };
  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="move-form">
      <div className="form-row">
        <SelectField
          id="move-stream"
          label="Stream"
          value={streamId}
          onChange={(v) => {
            setStreamId(v);
            setShardletId("");
            setDestHostId("");
          }}
          placeholder="Choose a stream"
          items={byName(streams.data?.streams)}
          testId="move-stream"
        />
        <SelectField
          id="move-shardlet"
          label="Shardlet"
          value={shardletId}
          onChange={(v) => {
            setShardletId(v);
            setDestHostId("");
          }}
          placeholder={streamId ? "Choose a shardlet" : "Choose a stream first"}
          items={shardlets.map((s) => ({
            value: s.id,
            label: `${s.range.loHex}–${s.range.lastHex} on ${s.hostName} (${formatRate(s.writeRate)}, ${formatBytes(s.sizeBytes)})`,
          }))}
          testId="move-shardlet"
          style={{ flex: 2 }}
          disabled={!streamId}
          error={errors.shardletId}
        />
        <SelectField
          id="move-dest"
          label="Destination host"
          value={destHostId}
          onChange={setDestHostId}
          placeholder="Choose a host"
          items={byName(dests)}
          testId="move-dest"
          disabled={!chosen}
          error={errors.destHostId}
        />
      </div>
      <fieldset className="plain" style={{ gap: 6 }} data-testid="move-mode">
        <legend style={{ fontWeight: 600, fontSize: 13, marginBottom: 6 }}>How it moves</legend>
        {MODES.map((m) => (
          <label key={m} className="checkbox" style={{ alignItems: "flex-start" }}>
            <input type="radio" name="move-mode" value={m} checked={mode === m} onChange={() => setMode(m)} style={{ marginTop: 3 }} data-testid={`move-mode-${m}`} />
            <span>
              <strong>{m === "handoff" ? "Hand-off" : "Copy history"}</strong>
              {m === "handoff" ? " (default)" : ""} <span className="muted">{MOVE_MODES_TEXT[m].help}</span>
            </span>
          </label>
        ))}
        {errors.mode ? <span className="field-error">{errors.mode}</span> : null}
      </fieldset>
      <div>
        <button type="submit" disabled={pending} data-testid="move-submit">
          {pending ? "Starting…" : mode === "handoff" ? "Hand off shardlet" : "Move shardlet with its history"}
        </button>{" "}
        <span className="muted">The destination must keep its headroom; the move starts at once and can be cancelled until it switches.</span>
      </div>
    </form>
  );
}

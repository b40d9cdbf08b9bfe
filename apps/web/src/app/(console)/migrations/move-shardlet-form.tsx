"use client";
import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { fieldErrors } from "../../../lib/errors.ts";
import { formatBytes, formatRate } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";

/** "Move shardlet S to host H": the server checks headroom and starts the mover at once. */
export function MoveShardletForm({ onSubmit, pending, error }: { onSubmit: (input: { shardletId: string; destHostId: string }) => void; pending: boolean; error: unknown }) {
  const trpc = useTRPC();
  const [streamId, setStreamId] = useState("");
  const [shardletId, setShardletId] = useState("");
  const [destHostId, setDestHostId] = useState("");
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
    onSubmit({ shardletId, destHostId });
  };
  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="move-form">
      <div className="form-row">
        <div className="field">
          <label htmlFor="move-stream">Stream</label>
          <select
            id="move-stream"
            value={streamId}
            onChange={(e) => {
              setStreamId(e.target.value);
              setShardletId("");
              setDestHostId("");
            }}
            data-testid="move-stream"
          >
            <option value="">Choose a stream</option>
            {streams.data?.streams.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field" style={{ flex: 2 }}>
          <label htmlFor="move-shardlet">Shardlet</label>
          <select
            id="move-shardlet"
            value={shardletId}
            onChange={(e) => {
              setShardletId(e.target.value);
              setDestHostId("");
            }}
            disabled={!streamId}
            aria-invalid={errors.shardletId ? true : undefined}
            data-testid="move-shardlet"
          >
            <option value="">{streamId ? "Choose a shardlet" : "Choose a stream first"}</option>
            {shardlets.map((s) => (
              <option key={s.id} value={s.id}>
                {s.range.loHex}–{s.range.lastHex} on {s.hostName} ({formatRate(s.writeRate)}, {formatBytes(s.sizeBytes)})
              </option>
            ))}
          </select>
          {errors.shardletId ? <span className="field-error">{errors.shardletId}</span> : null}
        </div>
        <div className="field">
          <label htmlFor="move-dest">Destination host</label>
          <select
            id="move-dest"
            value={destHostId}
            onChange={(e) => setDestHostId(e.target.value)}
            disabled={!chosen}
            aria-invalid={errors.destHostId ? true : undefined}
            data-testid="move-dest"
          >
            <option value="">Choose a host</option>
            {dests.map((h) => (
              <option key={h.id} value={h.id}>
                {h.name}
              </option>
            ))}
          </select>
          {errors.destHostId ? <span className="field-error">{errors.destHostId}</span> : null}
        </div>
      </div>
      <div>
        <button type="submit" disabled={pending} data-testid="move-submit">
          {pending ? "Starting…" : "Move shardlet"}
        </button>{" "}
        <span className="muted">The destination must keep its headroom; the move starts at once and can be cancelled until it switches.</span>
      </div>
    </form>
  );
}

"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ColourByToggle } from "../../../components/colour-by.tsx";
import { byName, SelectField } from "../../../components/fields.tsx";
import { ErrorNote, FullnessBar, Loading, Notice, PageHeader, StatusBadge } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { formatBytes, formatDateTime, plural } from "../../../lib/format.ts";
import { healthLegend, TONE_BADGE, useShardletHealth, type ColourBy } from "../../../lib/health-colour.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { SIZE_MEASURES, sizeText } from "../hosts/size-measures.ts";
import { ShardletTable } from "./shardlet-table.tsx";

export function ShardMapView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canOperate = useCan("operator");
  const [streamId, setStreamId] = useState("");
  const [includeRetired, setIncludeRetired] = useState(false);
  const [confirmation, setConfirmation] = useState<string | null>(null);
  const [colourBy, setColourBy] = useState<ColourBy>("load");
  const health = useShardletHealth(colourBy === "health");
  const streams = useQuery(trpc.streams.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  const map = useQuery(
    trpc.shardmap.byHost.queryOptions({ includeRetired, ...(streamId ? { streamId } : {}) }, { refetchInterval: 2000, placeholderData: (previous) => previous }),
  );
  const onQueued = async (res: { message: string; jobId: string }) => {
    setConfirmation(`${res.message}${res.jobId ? ` Job ${res.jobId}.` : ""} The worker takes the shardlet's lock; the map updates when it is done.`);
    await queryClient.invalidateQueries({ queryKey: trpc.shardmap.byHost.queryKey() });
  };
  const split = useMutation(trpc.shardmap.split.mutationOptions({ onSuccess: onQueued, onMutate: () => setConfirmation(null) }));
  const merge = useMutation(trpc.shardmap.merge.mutationOptions({ onSuccess: onQueued, onMutate: () => setConfirmation(null) }));
  const busy = split.isPending || merge.isPending;
  const threshold = map.data?.splitThreshold;

  return (
    <>
      <PageHeader
        title="Shard map"
        subtitle="Every shardlet, per storage host: its hash range, fullness against the split threshold, state, fencing epoch and lineage. Sealed shardlets are what hand-offs left: history kept read-only where it was written until retention drops it. Refreshes every 2 seconds."
      >
        <div className="toolbar">
          <label className="checkbox">
            <input type="checkbox" checked={includeRetired} onChange={(e) => setIncludeRetired(e.target.checked)} data-testid="shardmap-show-retired" />
            Show retired
          </label>
          <ColourByToggle name="shardmap" value={colourBy} onChange={setColourBy} />
          <SelectField
            id="stream-filter"
            label="Stream"
            value={streamId}
            onChange={setStreamId}
            placeholder="All streams"
            items={byName(streams.data?.streams)}
            testId="shardmap-stream-filter"
            style={{ minWidth: 220, flex: "none" }}
          />
        </div>
      </PageHeader>
      <Notice message={confirmation} testId="shardmap-action-result" />
      <ErrorNote error={split.error ?? merge.error} testId="shardmap-action-error" />
      <ErrorNote error={map.error} />
      {colourBy === "health" ? (
        <div className="toolbar" style={{ marginBottom: 12 }} data-testid="health-legend" aria-label="Health colours">
          {healthLegend(health.threshold).map((b) => (
            <span key={b.tone} className={`badge ${TONE_BADGE[b.tone]}`}>
              {b.label}
            </span>
          ))}
          <span className="muted">
            {health.profilerEnabled ? "Against each stream's threshold; hover a row for its weakest component." : "The profiler is disabled: scores rest on load and size alone."}
          </span>
          <ErrorNote error={health.error} testId="shardmap-health-error" />
        </div>
      ) : null}
      {map.isPending ? <Loading what="shard map" /> : null}
      {map.data?.hosts.length === 0 ? <p className="empty">No storage host registered.</p> : null}
      {map.data?.hosts.map((h) => (
        <section key={h.id} className="card host-map" aria-labelledby={`host-${h.id}`} data-testid={`shardmap-host-${h.name}`}>
          <div className="host-map-head">
            <h2 id={`host-${h.id}`}>{h.name}</h2>
            <StatusBadge status={h.status} />
            <span className="muted">
              <span data-testid="shardmap-host-live">{plural(h.liveShardlets, "live shardlet")}</span> ·{" "}
              {plural(h.eventCount, "event")} ·{" "}
              <span title={SIZE_MEASURES.eventData.title} data-testid="shardmap-host-event-data">
                {sizeText(h.shardletBytes, "eventData")}
              </span>
              {h.history ? (
                <span
                  title={`Sealed by hand-offs: ${plural(h.history.eventCount, "event")} kept read-only until the streams' retention drops them; the first expires ${formatDateTime(h.history.firstExpiresAt)}.`}
                  data-testid="shardmap-host-history"
                  data-shardlets={h.history.shardlets}
                >
                  {" "}
                  · {plural(h.history.shardlets, "sealed shardlet")} ({formatBytes(h.history.sizeBytes)} of history until {formatDateTime(h.history.lastExpiresAt)})
                </span>
              ) : null}
            </span>
            <span className="spacer" />
            <span className="muted" title={SIZE_MEASURES.onDisk.title} data-testid="shardmap-host-on-disk">
              {SIZE_MEASURES.onDisk.label} {formatBytes(h.sizeBytes)} / {formatBytes(h.capacityBytes)}
            </span>
            <div style={{ width: 220 }} title={`${SIZE_MEASURES.onDisk.label} against the host's capacity.`}>
              <FullnessBar fraction={h.capacityBytes > 0 ? h.sizeBytes / h.capacityBytes : 0} label={`${h.name} fullness (on disk)`} />
            </div>
          </div>
          <ShardletTable
            shardlets={h.shardlets}
            showStream={!streamId}
            colourBy={colourBy}
            health={health}
            threshold={threshold}
            actions={canOperate ? { busy, split: (shardletId) => split.mutate({ shardletId }), merge: (leftId, rightId) => merge.mutate({ leftId, rightId }) } : null}
          />
        </section>
      ))}
    </>
  );
}

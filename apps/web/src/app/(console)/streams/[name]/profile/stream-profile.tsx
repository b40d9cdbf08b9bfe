"use client";
import Link from "next/link";
import { columns } from "../../../../../components/data-table-columns.tsx";
import { DataTable } from "../../../../../components/data-table.tsx";
import { formatBytes, formatDuration, formatNumber, formatPct } from "../../../../../lib/format.ts";
import { TopValuesChart } from "./profile-charts.tsx";
import { noFrequentValues } from "./top-values.ts";
import type { FieldProfile, Profile } from "./types.ts";

// Statistics of numbers span from ids to fractions: four significant digits read well for both.
const stat = (v: number | null) => (v === null ? "—" : Math.abs(v) >= 1e4 ? formatNumber(v) : String(Number(v.toPrecision(4))));

/** In place of a chart of values that each occur about once: what the values look like instead. */
function NoFrequentValues({ f, why, numeric }: { f: FieldProfile; why: "nearly-distinct" | "spread"; numeric: boolean }) {
  const present = Math.round(f.seen * (1 - f.missingRate - f.nullRate));
  return (
    <p className="muted" style={{ margin: 0 }} data-testid="top-values-none">
      {why === "nearly-distinct" ? "Values nearly all distinct: no frequent values" : "No frequent values: none is 1% of the present values"} (about{" "}
      {formatNumber(f.distinct)} distinct among {formatNumber(present)} present).
      {numeric ? ` They spread from ${stat(f.min)} to ${stat(f.max)}, mean ${stat(f.mean)}, standard deviation ${stat(f.std)}.` : null}
    </p>
  );
}

function FieldCard({ f }: { f: FieldProfile }) {
  const numeric = f.numericShare > 0 && f.mean !== null;
  const noFrequent = noFrequentValues(f);
  return (
    <div className="card" style={{ marginBottom: 0 }} data-testid="field-card" data-path={f.path}>
      <div className="card-header" style={{ marginBottom: 6 }}>
        <h3 className="mono" style={{ margin: 0 }}>
          {f.path}
        </h3>
        <span className="muted" title="Estimated distinct values (HyperLogLog)">
          <b data-testid="field-distinct">{formatNumber(f.distinct)}</b> distinct values
        </span>
      </div>
      <div className="chips" style={{ marginBottom: 8 }}>
        <span className="chip">
          seen <b>{formatNumber(f.seen)}</b>
        </span>
        <span className="chip" title="Sampled events without this field">
          missing <b data-testid="field-missing">{formatPct(f.missingRate)}</b>
        </span>
        <span className="chip">
          null <b>{formatPct(f.nullRate)}</b>
        </span>
        {f.complexRate > 0 ? (
          <span className="chip" title="Objects or arrays rather than a plain value">
            complex <b>{formatPct(f.complexRate)}</b>
          </span>
        ) : null}
        <span className="chip" title="Share of present values taken by the most common one">
          top value <b>{formatPct(f.topShare)}</b>
        </span>
      </div>
      {numeric ? (
        <div className="chips" style={{ marginBottom: 8 }} data-testid="field-numeric">
          <span className="chip">
            numeric <b>{formatPct(f.numericShare)}</b>
          </span>
          <span className="chip">
            mean <b>{stat(f.mean)}</b>
          </span>
          <span className="chip">
            std <b>{stat(f.std)}</b>
          </span>
          <span className="chip">
            min <b>{stat(f.min)}</b>
          </span>
          <span className="chip">
            max <b>{stat(f.max)}</b>
          </span>
        </div>
      ) : null}
      {noFrequent ? <NoFrequentValues f={f} why={noFrequent} numeric={numeric} /> : <TopValuesChart values={f.topValues} label={f.path} />}
    </div>
  );
}

const TOP_KEY_COLUMNS = columns<Profile["topKeys"][number]>([
  { id: "key", header: "Key", td: (k) => ({ className: "mono payload", title: k.key }), sortBy: (k) => k.key, cell: (k) => k.key },
  { id: "share", header: "Share of sampled writes", className: "num", sortBy: (k) => k.share, cell: (k) => formatPct(k.share) },
]);

/** The stream's sampled events as a whole: record sizes, hottest keys and each key field. */
export function StreamProfile({ profile, keyFields }: { profile: Profile; keyFields: readonly string[] }) {
  const sizes = profile.sizes;
  return (
    <div data-testid="stream-profile">
      <div className="stats">
        <div className="stat">
          <div className="stat-label">Sampled events</div>
          <div className="stat-value">{formatNumber(profile.sampled)}</div>
        </div>
        <div className="stat">
          <div className="stat-label">Distinct keys (est.)</div>
          <div className="stat-value">{formatNumber(profile.distinctKeys)}</div>
        </div>
        <div className="stat" title="Median, 90th and 99th percentile of the sampled records' sizes">
          <div className="stat-label">Record size p50 / p90 / p99</div>
          <div className="stat-value" style={{ fontSize: 17 }} data-testid="profile-sizes">
            {sizes ? `${formatBytes(sizes.p50)} / ${formatBytes(sizes.p90)} / ${formatBytes(sizes.p99)}` : "—"}
          </div>
        </div>
        <div className="stat">
          <div className="stat-label">Largest record</div>
          <div className="stat-value">{sizes ? formatBytes(sizes.max) : "—"}</div>
        </div>
        <div className="stat">
          <div className="stat-label">p99 ack / read</div>
          <div className="stat-value" style={{ fontSize: 17 }}>
            {profile.ackP99Ms === null ? "—" : formatDuration(profile.ackP99Ms)} / {profile.readP99Ms === null ? "—" : formatDuration(profile.readP99Ms)}
          </div>
        </div>
      </div>
      {profile.oversize > 0 ? (
        <div className="alert alert-info" role="status">
          {formatNumber(profile.oversize)} sampled events had payloads too large to read their fields; their keys and sizes still count.
        </div>
      ) : null}
      <div className="grid grid-2">
        <div>
          <h3>Hottest keys</h3>
          <DataTable
            rows={profile.topKeys}
            columns={TOP_KEY_COLUMNS}
            rowKey={(k) => k.key}
            testId="profile-top-keys"
            className="dense"
            rowProps={() => ({ "data-testid": "profile-top-key" })}
            empty="No keys sampled."
          />
        </div>
        <div>
          <h3>Key fields</h3>
          {profile.fields.length === 0 ? (
            <p className="empty" data-testid="no-field-profiles">
              {keyFields.length === 0 ? (
                <>
                  No key fields set: add payload paths for this stream on the <Link href="/settings">Settings</Link> page to profile them.
                </>
              ) : (
                <>No sampled event carried {keyFields.join(", ")} yet.</>
              )}
            </p>
          ) : (
            <div className="grid" style={{ gap: 12 }}>
              {profile.fields.map((f) => (
                <FieldCard key={f.path} f={f} />
              ))}
            </div>
          )}
        </div>
      </div>
    </div>
  );
}

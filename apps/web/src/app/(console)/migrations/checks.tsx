import type { Migration } from "./types.ts";
import styles from "./migrations.module.css";
import { formatRate } from "../../../lib/format.ts";

/** Headroom / bandwidth / window as badges; the detail is in the tooltip. */
export function FeasibilityBadges({ m }: { m: Migration }) {
  if (!m.feasibility) return <span className="muted">—</span>;
  const checks = [
    ["headroom", m.feasibility.headroom],
    ["bandwidth", m.feasibility.bandwidth],
    ["window", m.feasibility.window],
  ] as const;
  return (
    <span className={styles.checks}>
      {checks.map(([name, c]) => (
        <span key={name} className={`badge ${c.ok ? "badge-ok" : "badge-danger"}`} title={c.detail} data-testid={`check-${name}`} data-ok={c.ok}>
          {c.ok ? "✓" : "✗"} {name}
        </span>
      ))}
    </span>
  );
}

/** Events/s of the source and destination before → after. */
export function ExpectedLoad({ m }: { m: Migration }) {
  if (m.expectedLoad.length === 0) return <span className="muted">—</span>;
  return (
    <span className={styles.loads} data-testid="expected-load">
      {m.expectedLoad.map((l) => (
        <span key={l.hostId}>
          {l.hostName}: {formatRate(l.before)} → <strong>{formatRate(l.after)}</strong>
        </span>
      ))}
    </span>
  );
}

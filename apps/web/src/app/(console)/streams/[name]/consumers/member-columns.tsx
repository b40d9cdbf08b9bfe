import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { columns } from "../../../../../components/data-table-columns.tsx";
import { formatAgo, formatBytes, formatDateTime, formatNumber, formatPct, formatRate } from "../../../../../lib/format.ts";

type Member = inferRouterOutputs<AppRouter>["consumers"]["group"]["members"][number];
type Telemetry = NonNullable<Member["telemetry"]>;

/** A telemetry figure, or a dash for a member whose client sends none. */
const of = <T,>(m: Member, f: (t: Telemetry) => T): T | null => (m.telemetry ? f(m.telemetry) : null);
const dash = (v: string | null) => v ?? "—";
const reported = (m: Member) => (m.telemetry ? `reported ${formatAgo(m.telemetry.at)} (${formatDateTime(m.telemetry.at)})` : "its client sends no telemetry");

/** How fast the member's handler works, and what that says about its share. */
function rateTitle(m: Member): string {
  const t = m.telemetry;
  if (!t || t.eventsPerSec === null) return "no handler time measured yet";
  const ms = t.eventsPerSec > 0 ? ` (${(1000 / t.eventsPerSec).toFixed(2)} ms per event)` : "";
  return `${formatNumber(t.sampleEvents)} events in the sample${ms}; weight ${m.weight.toFixed(2)} in the assignment (1: a typical member)`;
}

/** The Consumers page's member table: what each holds, how far behind, and its process as its SDK reports it. */
export const MEMBER_COLUMNS = columns<Member>([
  { id: "member", header: "Member", sortBy: (m) => m.name, cell: (m) => m.name },
  { id: "shardlets", header: "Shardlets", td: (m) => ({ "data-testid": `member-${m.name}-shardlets` }), sortBy: (m) => m.shardlets, cell: (m) => m.shardlets },
  { id: "lag", header: "Lag (events)", sortBy: (m) => m.lagEvents, cell: (m) => formatNumber(m.lagEvents) },
  {
    id: "rate",
    header: "Processing rate",
    td: (m) => ({ "data-testid": `member-${m.name}-rate`, title: rateTitle(m) }),
    sortBy: (m) => of(m, (t) => t.eventsPerSec),
    cell: (m) => dash(of(m, (t) => (t.eventsPerSec === null ? null : `${formatRate(t.eventsPerSec)} · ×${m.weight.toFixed(2)}`))),
  },
  { id: "cpu", header: "CPU", td: (m) => ({ "data-testid": `member-${m.name}-cpu`, title: reported(m) }), sortBy: (m) => of(m, (t) => t.cpu), cell: (m) => dash(of(m, (t) => formatPct(t.cpu))) },
  {
    id: "memory",
    header: "Memory (RSS)",
    td: (m) => ({ "data-testid": `member-${m.name}-memory`, title: of(m, (t) => `heap used ${formatBytes(t.heapUsedBytes)}`) ?? undefined }),
    sortBy: (m) => of(m, (t) => t.rssBytes),
    cell: (m) => dash(of(m, (t) => formatBytes(t.rssBytes))),
  },
  {
    id: "loopLag",
    header: "Loop lag (p99)",
    td: (m) => ({ "data-testid": `member-${m.name}-loop-lag` }),
    sortBy: (m) => of(m, (t) => t.loopLagMs),
    cell: (m) => dash(of(m, (t) => `${t.loopLagMs.toFixed(1)} ms`)),
  },
  { id: "joined", header: "Joined", sortBy: (m) => m.joinedAt, cell: (m) => formatDateTime(m.joinedAt) },
  { id: "lastSeen", header: "Last seen", sortBy: (m) => m.lastSeenAt, cell: (m) => formatAgo(m.lastSeenAt) },
]);

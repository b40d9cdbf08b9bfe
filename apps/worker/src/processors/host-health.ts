import { listHostStatuses, recordHostProbe, recordMetric, recordOperation } from "@shardcast/db";
import type { HostStatus } from "@shardcast/core";
import type { WorkerDeps } from "../deps.ts";
import { healthTransition, probeErrorMessage, type HostChange } from "../domain/health.ts";
import { checkAborted, withTimeout } from "../domain/abort.ts";

export interface HostProbe {
  hostId: string;
  name: string;
  status: HostStatus;
  change: HostChange | null;
  latencyMs: number | null;
  sizeBytes: number | null;
  connections: number | null;
  error: string | null;
}

export interface HostHealthResult {
  checked: number;
  down: number;
  probes: HostProbe[];
}

const DEFAULT_PING_TIMEOUT_MS = 2_000;

type HostRow = { id: string; name: string; status: HostStatus };

async function probe(deps: WorkerDeps, host: HostRow): Promise<HostProbe> {
  const timeoutMs = deps.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  try {
    const driver = await deps.hosts.get(host.id);
    const latencyMs = await withTimeout(driver.ping(), timeoutMs, `ping of host ${host.name}`);
    const stats = await withTimeout(driver.serverStats(), timeoutMs, `stats of host ${host.name}`);
    const { next, change } = healthTransition(host.status, true);
    return { hostId: host.id, name: host.name, status: next, change, latencyMs, ...stats, error: null };
  } catch (err) {
    const { next, change } = healthTransition(host.status, false);
    const error = probeErrorMessage(err);
    return { hostId: host.id, name: host.name, status: next, change, latencyMs: null, sizeBytes: null, connections: null, error };
  }
}

async function persist(deps: WorkerDeps, host: HostRow, p: HostProbe): Promise<void> {
  const { db } = deps;
  const now = new Date(deps.clock());
  const data =
    p.error === null
      ? { status: p.status, lastSeenAt: now, lastError: null, ...(p.sizeBytes !== null ? { sizeBytes: Math.round(p.sizeBytes) } : {}) }
      : // lastSeenAt stays at the last good probe: "down since" is read from it.
        { status: p.status, lastError: p.error };
  // Conditional on the status this probe started from: if an operator (or a concurrent probe)
  // changed it meanwhile, this result is stale and the transition must not be logged twice.
  if (!(await recordHostProbe(db, host, data))) return;
  if (p.sizeBytes !== null) await recordMetric(db, { name: "host.size_bytes", value: p.sizeBytes, hostId: host.id, at: now.getTime() });
  // Only transitions are logged; a host that stays down does not add a line every probe.
  if (p.change === "host.down") {
    await recordOperation(db, {
      kind: "host.down",
      status: "failed",
      hostId: host.id,
      actor: "worker",
      message: `host ${host.name} is down: ${p.error ?? "no answer"}`,
      details: { previousStatus: host.status },
    });
    deps.log.warn("host down", { hostId: host.id, host: host.name, error: p.error });
  } else if (p.change === "host.up") {
    await recordOperation(db, {
      kind: "host.up",
      status: "succeeded",
      hostId: host.id,
      actor: "worker",
      message: `host ${host.name} is reachable again`,
      details: { latencyMs: p.latencyMs },
    });
    deps.log.info("host up", { hostId: host.id, host: host.name });
  }
}

/**
 * Probes every registered host in parallel (a dead host must not delay the others) and records
 * status, size, last contact and the redacted error.
 */
export async function runHostHealth(deps: WorkerDeps, opts: { signal?: AbortSignal } = {}): Promise<HostHealthResult> {
  const hosts: HostRow[] = await listHostStatuses(deps.db);
  const probes = await Promise.all(hosts.map((h) => probe(deps, h)));
  checkAborted(opts.signal);
  for (const [i, host] of hosts.entries()) {
    const p = probes[i]!;
    await persist(deps, host, p);
  }
  return { checked: probes.length, down: probes.filter((p) => p.status === "down").length, probes };
}

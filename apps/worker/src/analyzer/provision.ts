import { spawn } from "node:child_process";
import { median, redactSecrets, ShardcastError } from "@shardcast/core";
import { listHosts, registerHost, type AnalyzerProposalInfo, type ControlDb, type HostInfo } from "@shardcast/db";
import { ensureDatabase, withDatabase } from "@shardcast/runtime/embedded-postgres";

/**
 * How an approved scale-out proposal gets its host:
 * - `command`: a program (argv, spawned without a shell) gets the request as JSON on stdin;
 * - `webhook`: the request is POSTed as JSON to a URL;
 * - `embedded`: a new database on the control database's server becomes the host (the embedded
 *   default of `npm start`, where every host is a database of one server);
 * - `off`: approving records the decision and adds nothing.
 * A command or webhook may answer with JSON `{"dsn", "name"?, "capacityBytes"?,
 * "capacityEventsPerSec"?}`: that host is registered. Without a DSN it is assumed to register the
 * host itself (e.g. through the console).
 */
export type ProvisionConfig =
  | { mode: "command"; argv: readonly string[]; timeoutMs: number }
  | { mode: "webhook"; url: string; timeoutMs: number }
  | { mode: "embedded"; controlUrl: string }
  | { mode: "off" };

export interface ProvisionRequest {
  proposalId: string;
  reason: string;
  urgencySec: number | null;
  actor: string | null;
  /** Suggested name and capacity (the median of the hosts there are). */
  suggested: { name: string; capacityBytes: number; capacityEventsPerSec: number };
  cluster: { hosts: number; activeHosts: number; capacityEventsPerSec: number; capacityBytes: number };
  forecast: unknown;
}

export interface ProvisionResult {
  mode: ProvisionConfig["mode"];
  message: string;
  host: HostInfo | null;
  /** What the command printed or the webhook answered (trimmed, secrets redacted). */
  output?: string;
}

const OUTPUT_LIMIT = 64 * 1024;

/** The next free `host-N` name. */
export function nextHostName(hosts: readonly Pick<HostInfo, "name">[]): { name: string; index: number } {
  let max = hosts.length;
  for (const h of hosts) {
    const m = /^host-(\d+)$/.exec(h.name);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return { name: `host-${max + 1}`, index: max + 1 };
}

export async function provisionRequest(db: ControlDb, p: AnalyzerProposalInfo, actor: string | null): Promise<ProvisionRequest> {
  const hosts = await listHosts(db);
  const active = hosts.filter((h) => h.status === "active");
  const { name } = nextHostName(hosts);
  return {
    proposalId: p.id,
    reason: p.reason,
    urgencySec: p.urgencySec,
    actor,
    suggested: {
      name,
      capacityBytes: Math.round(median(hosts.map((h) => h.capacityBytes))) || 10 * 1024 ** 3,
      capacityEventsPerSec: Math.round(median(hosts.map((h) => h.capacityEventsPerSec))) || 5_000,
    },
    cluster: {
      hosts: hosts.length,
      activeHosts: active.length,
      capacityEventsPerSec: active.reduce((s, h) => s + h.capacityEventsPerSec, 0),
      capacityBytes: active.reduce((s, h) => s + h.capacityBytes, 0),
    },
    forecast: p.details ?? null,
  };
}

interface HostAnswer {
  dsn?: string;
  name?: string;
  capacityBytes?: number;
  capacityEventsPerSec?: number;
}

function parseAnswer(text: string): HostAnswer | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{")) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(trimmed);
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const out: HostAnswer = {};
  if (typeof r.dsn === "string" && r.dsn.length > 0) out.dsn = r.dsn;
  if (typeof r.name === "string" && r.name.length > 0) out.name = r.name;
  if (typeof r.capacityBytes === "number") out.capacityBytes = r.capacityBytes;
  if (typeof r.capacityEventsPerSec === "number") out.capacityEventsPerSec = r.capacityEventsPerSec;
  return out;
}

async function registerAnswer(db: ControlDb, req: ProvisionRequest, answer: HostAnswer | null): Promise<HostInfo | null> {
  if (!answer?.dsn) return null;
  return registerHost(db, {
    name: answer.name ?? req.suggested.name,
    dsn: answer.dsn,
    capacityBytes: answer.capacityBytes ?? req.suggested.capacityBytes,
    capacityEventsPerSec: answer.capacityEventsPerSec ?? req.suggested.capacityEventsPerSec,
  });
}

/** Runs the command with the request on stdin; resolves with its stdout when it exits 0. */
export function runProvisionCommand(argv: readonly string[], input: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new ShardcastError("bad_request", "the provisioning command is empty"));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { shell: false, stdio: ["pipe", "pipe", "pipe"], timeout: timeoutMs, ...(signal ? { signal } : {}) });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      if (out.length < OUTPUT_LIMIT) out += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (err.length < OUTPUT_LIMIT) err += chunk.toString("utf8");
    });
    child.on("error", (e) => reject(new ShardcastError("unavailable", `provisioning command could not run: ${e.message}`, undefined, { cause: e })));
    child.on("close", (code, sig) => {
      if (code === 0) resolve(out);
      else {
        const tail = redactSecrets(err.trim().slice(-500));
        reject(new ShardcastError("unavailable", `provisioning command ${sig ? `was stopped (${sig})` : `exited with code ${code}`}${tail ? `: ${tail}` : ""}`));
      }
    });
    // A command that does not read its stdin closes the pipe early; that is its choice.
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  });
}

async function callWebhook(url: string, body: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "shardcast-provisioner" },
    body,
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  }).catch((e: unknown) => {
    throw new ShardcastError("unavailable", `provisioning webhook did not answer: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
  });
  const text = (await res.text()).slice(0, OUTPUT_LIMIT);
  if (!res.ok) throw new ShardcastError("unavailable", `provisioning webhook answered ${res.status}${text ? `: ${redactSecrets(text.slice(0, 300))}` : ""}`);
  return text;
}

/** A database name for the new host on the control server: `<control database>_host_<n>`. */
export function embeddedDatabaseName(controlUrl: string, index: number): string {
  const base = decodeURIComponent(new URL(controlUrl).pathname.slice(1)).toLowerCase().replace(/[^a-z0-9_]/g, "_").slice(0, 40) || "shardcast";
  return `${/^[a-z_]/.test(base) ? base : `db_${base}`}_host_${index}`;
}

export async function provisionHost(db: ControlDb, config: ProvisionConfig, req: ProvisionRequest, signal?: AbortSignal): Promise<ProvisionResult> {
  const body = JSON.stringify(req);
  switch (config.mode) {
    case "off":
      return { mode: "off", message: "provisioning is off: add and register the host by hand", host: null };
    case "command": {
      const out = await runProvisionCommand(config.argv, body, config.timeoutMs, signal);
      const host = await registerAnswer(db, req, parseAnswer(out));
      return {
        mode: "command",
        message: host ? `the provisioning command created host ${host.name}; it is registered` : "the provisioning command succeeded; it registers the host itself",
        host,
        output: redactSecrets(out.trim().slice(0, 2000)),
      };
    }
    case "webhook": {
      const out = await callWebhook(config.url, body, config.timeoutMs, signal);
      const host = await registerAnswer(db, req, parseAnswer(out));
      return {
        mode: "webhook",
        message: host ? `the provisioning webhook created host ${host.name}; it is registered` : "the provisioning webhook accepted the request; it registers the host itself",
        host,
        output: redactSecrets(out.trim().slice(0, 2000)),
      };
    }
    case "embedded": {
      const hosts = await listHosts(db);
      const { name, index } = nextHostName(hosts);
      const database = embeddedDatabaseName(config.controlUrl, index);
      await ensureDatabase(withDatabase(config.controlUrl, "postgres"), database);
      const host = await registerHost(db, {
        name,
        dsn: withDatabase(config.controlUrl, database),
        capacityBytes: req.suggested.capacityBytes,
        capacityEventsPerSec: req.suggested.capacityEventsPerSec,
      });
      return { mode: "embedded", message: `created database ${database} on the control server and registered it as host ${host.name}`, host };
    }
  }
}

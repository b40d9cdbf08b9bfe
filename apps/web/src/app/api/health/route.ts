import { OUTAGE_RETRY_AFTER_MS } from "@shardcast/core";
import { pingControlDb } from "@shardcast/db";
import { createLogger, outages } from "@shardcast/runtime";
import { getDeps } from "../../../server/deps.ts";

export const dynamic = "force-dynamic";

/** Liveness for the start script and load balancers: 200 once the control database answers. */
export async function GET(): Promise<Response> {
  const started = Date.now();
  try {
    await pingControlDb(getDeps().db);
    return Response.json({ ok: true, db: "up", ms: Date.now() - started });
  } catch (err) {
    // A fresh logger: getDeps() itself may be what failed (bad configuration). Probes come every few
    // seconds: the outage is logged once, not once per probe.
    outages.failed(createLogger({ service: "web" }), "PostgreSQL (health check)", err);
    return Response.json({ ok: false, db: "down" }, { status: 503, headers: { "retry-after": String(Math.ceil(OUTAGE_RETRY_AFTER_MS / 1000)) } });
  }
}

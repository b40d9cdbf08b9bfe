import { pingControlDb } from "@shardcast/db";
import { createLogger } from "@shardcast/runtime";
import { getDeps } from "../../../server/deps.ts";

export const dynamic = "force-dynamic";

/** Liveness for the start script and load balancers: 200 once the control database answers. */
export async function GET(): Promise<Response> {
  const started = Date.now();
  try {
    await pingControlDb(getDeps().db);
    return Response.json({ ok: true, db: "up", ms: Date.now() - started });
  } catch (err) {
    // A fresh logger: getDeps() itself may be what failed (bad configuration).
    createLogger({ service: "web" }).warn("health check failed", { error: err });
    return Response.json({ ok: false, db: "down" }, { status: 503 });
  }
}

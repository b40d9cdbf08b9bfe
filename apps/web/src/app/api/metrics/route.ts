import { timingSafeEqual } from "node:crypto";
import { errorStatus, ShardcastError } from "@shardcast/core";
import { METRICS_CONTENT_TYPE } from "@shardcast/runtime/metrics";
import { getEnv } from "../../../env.ts";
import { getDeps } from "../../../server/deps.ts";
import { consoleMetrics, refreshClusterGauges } from "../../../server/metrics.ts";

export const dynamic = "force-dynamic";

function authorized(header: string | null, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(header ?? "")?.[1]?.trim() ?? "");
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** Prometheus scrape target: the console's process metrics, its tRPC calls and cluster figures kept in the control database. */
export async function GET(req: Request): Promise<Response> {
  const token = getEnv().SHARDCAST_METRICS_TOKEN;
  if (token && !authorized(req.headers.get("authorization"), token)) {
    const err = new ShardcastError("unauthenticated", "metrics need `Authorization: Bearer <metrics token>`");
    return Response.json(err.toJSON(), { status: errorStatus(err.code), headers: { "www-authenticate": 'Bearer realm="metrics"' } });
  }
  try {
    await refreshClusterGauges(getDeps().db);
  } catch (err) {
    // The process metrics are still worth a scrape when the control database does not answer.
    getDeps().log.warn("metrics: cluster figures not read", { error: err });
  }
  const text = await consoleMetrics().registry.metrics();
  return new Response(text, { headers: { "content-type": METRICS_CONTENT_TYPE, "cache-control": "no-store" } });
}

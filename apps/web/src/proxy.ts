import { NextResponse, type NextRequest } from "next/server";
import { requestFacts, resolveClient } from "@shardcast/api/request-origin";
import { getEnv } from "./env.ts";
import { securityHeaders } from "./server/security-headers.ts";

/** Adds the security headers to every response; HTTPS as decided by the trust-proxy rule. */
export function proxy(req: NextRequest): NextResponse {
  const env = getEnv();
  const client = resolveClient(requestFacts(req.headers), env.SHARDCAST_TRUST_PROXY);
  const res = NextResponse.next();
  for (const [name, value] of securityHeaders({ https: client.https, dev: env.NODE_ENV === "development" })) res.headers.set(name, value);
  return res;
}

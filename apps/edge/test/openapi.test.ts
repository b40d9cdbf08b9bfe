import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_INGEST_LIMITS, errorStatus, type ErrorCode } from "@shardcast/core";
import { edgeRoutes } from "../src/http/routes.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness;
/** A member and a shardlet for the consumer routes' path parameters. */
let memberId = "";
let shardletId = "";
beforeAll(async () => {
  h = await startHarness({ stream: "documented" });
  const joined = await call("post", `/v1/streams/${h.stream}/groups/doc-group/members`, {}, h.token);
  memberId = (JSON.parse(joined.text) as { memberId: string }).memberId;
  shardletId = (await h.edge.routing.get(h.stream))!.table.all()[0]!.id;
});
afterAll(() => h?.close());

interface Operation {
  operationId: string;
  security: Array<Record<string, string[]>>;
  responses: Record<string, { content?: Record<string, { schema: { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } } }> }>;
}
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

async function fetchDoc(): Promise<Doc> {
  const res = await fetch(`${h.url}/openapi.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as Doc;
}

const HOUR = 3_600_000;
/** A request each documented route accepts, by operation id. */
function exampleBody(id: string, stream: string): unknown {
  if (id === "ingest") return { events: [{ key: "doc-1", payload: { n: 1 } }] };
  if (id === "trpcIngest") return { stream, events: [{ key: "doc-2" }] };
  if (id === "commitGroup") return { commits: [] };
  if (id === "joinGroup" || id === "pollGroup") return {};
  if (id === "createHints") return { stream, lo: 0, hi: 1000, eventsPerSec: 10, startsAt: Date.now() + HOUR, endsAt: Date.now() + 2 * HOUR };
  return undefined;
}

function concrete(path: string, stream: string): string {
  const filled = path.replace("{stream}", stream).replace("{key}", "doc-1").replace("{group}", "doc-group").replace("{member}", memberId).replace("{shardlet}", shardletId);
  return filled + (path === "/v1/hints" ? `?stream=${stream}` : "");
}

async function call(method: string, path: string, body: unknown, token: string | null) {
  const res = await fetch(h.url + path, {
    method: method.toUpperCase(),
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, text };
}

describe("the published OpenAPI document", () => {
  it("is served without a key, as OpenAPI 3.1, with one operation per route of the route table", async () => {
    const doc = await fetchDoc();
    expect(doc.openapi).toBe("3.1.0");
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    const table = edgeRoutes(DEFAULT_INGEST_LIMITS).map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
    expect(documented).toEqual(table);
  });

  it("documents only routes the server answers, and each answer matches the documented success schema", async () => {
    const doc = await fetchDoc();
    const routes = new Map(edgeRoutes(DEFAULT_INGEST_LIMITS).map((r) => [r.id, r]));
    let probed = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const res = await call(method, concrete(path, h.stream), exampleBody(op.operationId, h.stream), h.token);
        expect(res.status, `${method} ${path}: ${res.text}`).toBeLessThan(300);
        const route = routes.get(op.operationId as never);
        expect(route, op.operationId).toBeDefined();
        expect(res.status).toBe(route!.ok.status);
        if (route!.ok.schema) {
          const parsed = route!.ok.schema.safeParse(JSON.parse(res.text));
          expect(parsed.success, `${op.operationId}: ${parsed.error?.message ?? ""}`).toBe(true);
        }
        probed++;
      }
    }
    expect(probed).toBe(edgeRoutes(DEFAULT_INGEST_LIMITS).length);
  });

  it("answers 404 for paths it does not document", async () => {
    const undocumented = [
      "/",
      "/v1",
      "/v1/streams",
      `/v1/streams/${h.stream}`,
      `/v1/streams/${h.stream}/keys/k`,
      `/v1/streams/${h.stream}/events/extra`,
      "/v2/hints",
      "/openapi",
      "/healthz/deep",
      "/trpc/other",
      "/trpc/ingest,ingest",
    ];
    for (const path of undocumented) {
      for (const method of ["GET", "POST"]) {
        const res = await call(method, path, method === "POST" ? {} : undefined, h.token);
        expect(res.status, `${method} ${path}`).toBe(404);
      }
    }
  });

  it("documents every error an operation answers, with its code, under its status", async () => {
    const doc = await fetchDoc();
    const documentedCodes = (op: Operation, status: number) => op.responses[String(status)]?.content?.["application/json"]?.schema.properties?.error?.properties?.code?.enum ?? [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op.security.length === 0 || op.security.some((s) => "metricsToken" in s)) continue;
        // Without a key, and with a malformed body: each answer's code is listed under its status.
        for (const [token, body] of [[null, exampleBody(op.operationId, h.stream)], [h.token, method === "post" ? { nonsense: true } : undefined]] as const) {
          const res = await call(method, concrete(path, h.stream), body, token);
          if (res.status < 300) continue;
          // REST errors carry the code; tRPC errors carry it under data.shardcast.
          const error = (JSON.parse(res.text) as { error: { code?: unknown; data?: { shardcast?: { code: string } } } }).error;
          const errorCode = (typeof error.code === "string" ? error.code : error.data?.shardcast?.code) as ErrorCode | undefined;
          if (!errorCode) continue;
          expect(errorStatus(errorCode)).toBe(res.status);
          expect(documentedCodes(op, res.status), `${method} ${path} answered ${res.status} ${errorCode}`).toContain(errorCode);
        }
      }
    }
  });
});

import { z } from "zod";
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from "zod-openapi";
import { errorStatus, type ErrorCode } from "@shardcast/core";
import { errorBodySchema, type RouteSpec } from "./routes.ts";

type StatusKey = `${1 | 2 | 3 | 4 | 5}${string}`;
const statusKey = (status: number) => String(status) as StatusKey;

function errorResponses(codes: readonly ErrorCode[]): ZodOpenApiResponsesObject {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = errorStatus(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: ZodOpenApiResponsesObject = {};
  for (const [status, group] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    const [first, ...rest] = group;
    if (!first) continue;
    const schema = z.object({ error: errorBodySchema.shape.error.extend({ code: z.enum([first, ...rest]) }) });
    out[statusKey(status)] = {
      description: `\`${group.join("`, `")}\`${status === 429 ? "; `Retry-After` gives the seconds to wait" : ""}`,
      ...(status === 429 ? { headers: { "retry-after": { description: "Seconds to wait before retrying.", schema: { type: "integer", minimum: 1 } } } } : {}),
      content: { "application/json": { schema } },
    };
  }
  return out;
}

function operation(route: RouteSpec): ZodOpenApiOperationObject {
  const security = route.auth === null ? [] : [{ [route.auth === "metrics" ? "metricsToken" : "apiKey"]: [] }];
  const requestParams = { ...(route.params ? { path: route.params } : {}), ...(route.query ? { query: route.query } : {}) };
  return {
    operationId: route.id,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    security,
    ...(route.params || route.query ? { requestParams } : {}),
    ...(route.body ? { requestBody: { required: true, content: { "application/json": { schema: route.body } } } } : {}),
    responses: {
      [statusKey(route.ok.status)]: {
        description: route.ok.description,
        ...(route.ok.headers
          ? { headers: Object.fromEntries(Object.entries(route.ok.headers).map(([name, h]) => [name, { description: h.description, schema: { type: "string" as const, enum: [...h.values] } }])) }
          : {}),
        ...(route.ok.schema
          ? { content: { [route.ok.contentType ?? "application/json"]: { schema: route.ok.schema } } }
          : { content: { [route.ok.contentType ?? "text/plain"]: { schema: z.string() } } }),
      },
      ...errorResponses(route.errors),
    },
  };
}

/** The OpenAPI 3.1 document of `routes`, built from the schemas the edge parses with. */
export function openApiDocument(routes: readonly RouteSpec[], version: string): Record<string, unknown> {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) paths[route.path] = { ...paths[route.path], [route.method]: operation(route) };
  return createDocument({
    openapi: "3.1.0",
    info: {
      title: "Shardcast edge",
      version,
      description:
        'Producers append events and consumers read them. Errors are `{"error":{"code","message","details"}}`; each operation lists the codes it can answer under their HTTP status.',
    },
    tags: [
      { name: "events", description: "Appending and reading events." },
      { name: "hints", description: "Load hints for forecasting." },
      { name: "forecasts", description: "The analyzer's load forecasts." },
      { name: "consumers", description: "Consumer groups: join, poll, commit, leave; per-shardlet reads." },
      { name: "trpc", description: "The tRPC form of ingest." },
      { name: "operations", description: "Health, metrics and this document." },
    ],
    components: {
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "An API key `sc_<prefix>_<secret>` from the console's API keys page." },
        metricsToken: { type: "http", scheme: "bearer", description: "The edge's metrics token, when it has one." },
      },
    },
    paths,
  }) as unknown as Record<string, unknown>;
}

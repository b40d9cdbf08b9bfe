import { ShardcastError } from "@shardcast/core";
import type { z } from "zod";
import { issuesError, zodIssues } from "../zod-issues.ts";
import type { RouteSpec } from "./routes.ts";

/** How a request's path, query and body become a route's typed input; every failure is a 400 naming the problem. */

/** Parses decoded path segments or query parameters with the route's schema; a failure is a 400 naming the first problem. */
export function parse<S extends z.ZodObject>(schema: S, input: Record<string, string>, where: string): z.output<S> {
  const parsed = schema.safeParse(input, {
    error: (iss) => (iss.code === "invalid_type" && iss.input === undefined ? `${where} ${iss.path?.join(".") ?? ""} is required` : undefined),
  });
  if (!parsed.success) throw new ShardcastError("bad_request", parsed.error.issues[0]?.message ?? `invalid ${where}`);
  return parsed.data;
}

export function queryOf(url: URL, schema: z.ZodObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    // Which of two values counts differs between proxies and frameworks: refuse rather than guess.
    if (url.searchParams.getAll(name).length > 1) throw new ShardcastError("bad_request", `query parameter ${name} is given more than once`);
    const value = url.searchParams.get(name);
    // An empty parameter means its default, as if it were absent.
    if (value !== null && value !== "") out[name] = value;
  }
  return out;
}

export const SEGMENT_NAMES: Record<string, string> = { stream: "stream name", key: "key", group: "group name", member: "member id", shardlet: "shardlet id" };

/** A JSON body parsed with the route's schema; a failure is a 400 naming the field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw issuesError("bad_request", "invalid body: ", zodIssues(parsed.error), "malformed");
  return parsed.data;
}

/** A route's template as a matcher: `{name}` is one path segment. */
export function compile(route: RouteSpec): { re: RegExp; names: string[] } {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_all, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { re: new RegExp(`^${source}$`), names };
}

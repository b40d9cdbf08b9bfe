import { z } from "zod";

/**
 * Payload fields the correlation engine can correlate on, and how an event's value of one is
 * read. A path is a dot-separated list of plain names (`user`, `geo.region`): no indexes or
 * wildcards, so one event has at most one value per field and counting stays a map increment.
 */
export const MAX_CORRELATE_FIELDS = 4;
export const MAX_FIELD_PATH_LENGTH = 64;
/** Longer values are cut: a value names an entity (a user, a region), not a text. */
export const MAX_FIELD_VALUE_LENGTH = 100;

const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*){0,3}$/;

export const fieldPathSchema = z
  .string()
  .min(1, "a field path must not be empty")
  .max(MAX_FIELD_PATH_LENGTH, `a field path must be at most ${MAX_FIELD_PATH_LENGTH} characters`)
  .regex(PATH, "a field path is up to four dot-separated names of letters, digits, _ or - (e.g. user or geo.region)");

export const correlateFieldsSchema = z
  .array(fieldPathSchema)
  .max(MAX_CORRELATE_FIELDS, `correlate on at most ${MAX_CORRELATE_FIELDS} fields`)
  .refine((xs) => new Set(xs).size === xs.length, "each field may be listed once");

/**
 * The value of `path` in a payload as a string, or null when it is missing or not a scalar
 * (objects and arrays name no single entity to correlate on).
 */
export function fieldValue(payload: unknown, path: string): string | null {
  let cur: unknown = payload;
  for (const name of path.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return null;
    cur = (cur as Record<string, unknown>)[name];
  }
  if (typeof cur === "string") return cur.length > 0 ? cur.replace(/[\t\n]/g, " ").slice(0, MAX_FIELD_VALUE_LENGTH) : null;
  if (typeof cur === "number" && Number.isFinite(cur)) return String(cur);
  if (typeof cur === "boolean") return String(cur);
  return null;
}

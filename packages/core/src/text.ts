import { z } from "zod";

// PostgreSQL refuses a NUL in `text` and `\u0000` in `jsonb`, and jsonb refuses the escape of an
// unpaired UTF-16 surrogate (node-postgres would instead send the surrogate of a plain string as
// U+FFFD, silently changing it). In unicode mode the class matches only unpaired surrogates.
const UNSTORABLE = /[\u0000\ud800-\udfff]/u;

/** Why PostgreSQL cannot store `s` as text, or null when it can. */
export function unstorableText(s: string): string | null {
  const m = UNSTORABLE.exec(s);
  if (!m) return null;
  return m[0] === "\u0000" ? "contains a NUL character (\\u0000)" : "contains an unpaired UTF-16 surrogate";
}

/**
 * The base of every free-text input that reaches a `text` or `jsonb` column: a string without NUL
 * characters or unpaired surrogates. Chain length and format rules on it as on `z.string()`.
 */
export const storableString = z.string().superRefine((s, ctx) => {
  const problem = unstorableText(s);
  if (problem) ctx.addIssue({ code: "custom", message: `${problem}, which cannot be stored` });
});

/** Deepest nesting of objects and arrays in an event payload (the payload object is level 1). */
export const MAX_PAYLOAD_DEPTH = 64;

/** Longest field path reported for a rejected payload (field names can be long). */
const MAX_REPORTED_PATH = 200;

export interface JsonProblem {
  /** Dotted path from the root given to `findJsonProblem`, e.g. `payload.items.3.name`. */
  path: string;
  message: string;
}

/**
 * Cheap check of JSON text produced by `JSON.stringify`: true when it escapes a NUL or an unpaired
 * surrogate (the only characters `JSON.stringify` writes as `\u0000` and `\udXXX`) or nests deeper
 * than `maxDepth`. Scans escapes with `indexOf` and skips string contents, so well-formed payloads
 * cost little; `findJsonProblem` then names the field.
 */
export function jsonTextNeedsCheck(json: string, maxDepth: number): boolean {
  for (let i = json.indexOf("\\u"); i !== -1; i = json.indexOf("\\u", i + 2)) {
    if (isEscaped(json, i)) continue;
    const a = json.charCodeAt(i + 2);
    const b = json.charCodeAt(i + 3);
    const c = json.charCodeAt(i + 4);
    const d = json.charCodeAt(i + 5);
    if (a === 0x30 && b === 0x30 && c === 0x30 && d === 0x30) return true; // \u0000
    if ((a | 0x20) === 0x64 && (b === 0x38 || b === 0x39 || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66))) return true; // \ud800-\udfff
  }
  // Each level takes two characters and one opening bracket: most payloads are ruled out by their
  // length or by counting brackets (natively), before the scan that has to skip strings.
  if (json.length <= 2 * maxDepth) return false;
  let opening = 0;
  for (let i = json.indexOf("{"); i !== -1 && opening <= maxDepth; i = json.indexOf("{", i + 1)) opening++;
  for (let i = json.indexOf("["); i !== -1 && opening <= maxDepth; i = json.indexOf("[", i + 1)) opening++;
  if (opening <= maxDepth) return false;
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const ch = json.charCodeAt(i);
    if (ch === 0x22) {
      let end = json.indexOf('"', i + 1);
      while (end !== -1 && isEscaped(json, end)) end = json.indexOf('"', end + 1);
      if (end === -1) return false;
      i = end;
    } else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (ch === 0x7d || ch === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** Whether the character at `i` follows an odd number of backslashes (and so is escaped). */
function isEscaped(s: string, i: number): boolean {
  let n = 0;
  for (let j = i - 1; j >= 0 && s.charCodeAt(j) === 0x5c; j--) n++;
  return n % 2 === 1;
}

function reportedPath(path: string): string {
  return path.length <= MAX_REPORTED_PATH ? path : `${path.slice(0, MAX_REPORTED_PATH - 3)}...`;
}

/**
 * True when a parsed JSON value holds a number past a double's range: JSON.parse reads `1e400` as
 * Infinity, which JSON.stringify writes as `null`. Only a value whose JSON text has a `null` can
 * hold one, so callers walk only those; no paths are built, so a walk that finds nothing is cheap.
 */
export function hasNonFiniteNumber(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return true;
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (typeof v === "object" && v !== null) {
      for (const name in v) stack.push((v as Record<string, unknown>)[name]);
    }
  }
  return false;
}

/**
 * The first field of a parsed JSON value that PostgreSQL cannot store (a string or field name with
 * a NUL or an unpaired surrogate, a number past a double's range) or that nests deeper than
 * `maxDepth`, or null. Walks depth-first with its own stack and never below `maxDepth`, so hostile
 * nesting cannot overflow it.
 */
export function findJsonProblem(value: unknown, root: string, maxDepth: number): JsonProblem | null {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: root, depth: 1 }];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const { value: v, path, depth } = top;
    if (typeof v === "string") {
      const problem = unstorableText(v);
      if (problem) return { path: reportedPath(path), message: `${reportedPath(path)} ${problem}` };
      continue;
    }
    if (typeof v === "number" && !Number.isFinite(v)) {
      return { path: reportedPath(path), message: `${reportedPath(path)} is beyond the range of a 64-bit float (it would be stored as null); send it as a string` };
    }
    if (typeof v !== "object" || v === null) continue;
    if (depth > maxDepth) {
      return { path: root, message: `${root} is nested more than ${maxDepth} levels deep` };
    }
    const children: Array<{ value: unknown; path: string; depth: number }> = [];
    if (Array.isArray(v)) {
      v.forEach((item, i) => children.push({ value: item, path: `${path}.${i}`, depth: depth + 1 }));
    } else {
      for (const [name, item] of Object.entries(v)) {
        const problem = unstorableText(name);
        if (problem) return { path: reportedPath(path), message: `a field name in ${reportedPath(path)} ${problem}` };
        children.push({ value: item, path: `${path}.${name}`, depth: depth + 1 });
      }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return null;
}

/**
 * Key fields: JSON paths into an event's payload, e.g. `user.id`, `items[0].price` or
 * `$.amount` (the leading `$.` is optional). A path is parsed once when settings load; extracting
 * walks only the path's own steps, so a huge or deeply nested payload costs no more than a flat one.
 */
export type PathStep = string | number;

export const MAX_KEY_FIELDS = 8;
export const MAX_PATH_LENGTH = 200;
export const MAX_PATH_STEPS = 16;

const NAME = "[A-Za-z_][A-Za-z0-9_-]*";
const PATH_RE = new RegExp(`^(?:\\$\\.)?${NAME}(?:\\[\\d{1,6}\\])*(?:\\.${NAME}(?:\\[\\d{1,6}\\])*)*$`);

/** Why `path` is not a usable key field, or null when it is. */
export function keyFieldProblem(path: string): string | null {
  if (path.length === 0) return "a key field path cannot be empty";
  if (path.length > MAX_PATH_LENGTH) return `a key field path is at most ${MAX_PATH_LENGTH} characters`;
  if (!PATH_RE.test(path)) return `"${path}" is not a field path: use names joined by dots, with [n] for array items (e.g. user.id or items[0].price)`;
  if (parseFieldPath(path).length > MAX_PATH_STEPS) return `a key field path has at most ${MAX_PATH_STEPS} steps`;
  return null;
}

export function parseFieldPath(path: string): PathStep[] {
  const body = path.startsWith("$.") ? path.slice(2) : path;
  const steps: PathStep[] = [];
  for (const part of body.split(".")) {
    const m = /^([^[]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) continue;
    steps.push(m[1]!);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) steps.push(Number(idx[1]));
  }
  return steps;
}

/** The value at `steps`, or undefined when any step is missing (or not an object/array to step into). */
export function extractField(payload: unknown, steps: readonly PathStep[]): unknown {
  let cur: unknown = payload;
  for (const step of steps) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (typeof step === "number") {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[step];
    } else {
      if (Array.isArray(cur) || !Object.hasOwn(cur, step)) return undefined;
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return cur;
}

import type { z } from "zod";

/**
 * A settings form's strings -> settings, validated with the server's schema so the messages are the
 * server's: `fixed` holds the fields that are not typed numbers (a mode, a switch), `numbers` the
 * names of the number fields. Errors are by field, the first message of each.
 */
export function parseSettingsForm<T extends Record<string, unknown>, N extends keyof T & string>(
  schema: z.ZodType<T>,
  fixed: Partial<T>,
  numbers: readonly N[],
  values: Readonly<Record<N, string>>,
): { value: T | null; errors: Partial<Record<keyof T, string>> } {
  const errors: Partial<Record<keyof T, string>> = {};
  const candidate: Record<string, unknown> = { ...fixed };
  for (const field of numbers) {
    const raw = values[field].trim();
    const n = Number(raw);
    if (raw === "") errors[field] = "enter a value";
    else if (!Number.isFinite(n)) errors[field] = "enter a number";
    else candidate[field] = n;
  }
  const parsed = schema.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const f = issue.path[0] as keyof T | undefined;
      if (f !== undefined && !(f in errors)) errors[f] = issue.message;
    }
  }
  return { value: parsed.success && Object.keys(errors).length === 0 ? parsed.data : null, errors };
}

const BOUND_WORDS: Record<string, string> = { "<=": "at most", ">=": "at least", "<": "below", ">": "above" };

/**
 * Zod's stock range and integer messages ("Too big: expected number to be <=1") in the console's
 * words ("must be at most 1"), for schemas whose fields carry no messages of their own. Any other
 * message is returned as it is.
 */
export function plainSettingsMessage(message: string): string {
  const range = /^Too (?:big|small): expected \w+ to (?:be|have) (<=|>=|<|>)\s*(.+)$/.exec(message);
  if (range) return `must be ${BOUND_WORDS[range[1]!]} ${range[2]}`;
  if (/^Invalid input: expected int\b/.test(message)) return "must be a whole number";
  return message;
}

import { formatNumber, plural } from "../lib/format.ts";

/** Longest summary shown in a detail chip; the full value is in its title. */
const MAX_CHARS = 48;
/** Fields of a flat object shown inline before the rest is counted. */
const MAX_FIELDS = 3;

/** Whole numbers grouped, fractions to a few digits: 21.77 rather than 21.77188762024329. */
export function readableNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n) || Math.abs(n) >= 100) return formatNumber(n);
  return String(Number(Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3)));
}

function primitive(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number") return readableNumber(value);
  if (typeof value === "boolean" || value === null) return String(value);
  return null;
}

function cut(s: string): string {
  return s.length > MAX_CHARS ? `${s.slice(0, MAX_CHARS - 1)}…` : s;
}

/**
 * A recorded detail as a short chip value, with the exact value as its title when the chip shows
 * less. Nested objects and arrays are counted, not printed; `nested` says the row should offer the
 * full JSON.
 */
export function summariseDetail(value: unknown): { text: string; title?: string; nested?: boolean } {
  const p = primitive(value);
  if (p !== null) {
    const raw = typeof value === "string" ? value : String(value);
    const text = cut(p);
    return text === raw ? { text } : { text, title: raw };
  }
  const title = JSON.stringify(value, null, 2) ?? "";
  if (Array.isArray(value)) {
    if (value.length === 0) return { text: "none" };
    const items = value.map(primitive);
    const joined = items.every((i) => i !== null) ? items.join(", ") : null;
    if (joined !== null && joined.length <= MAX_CHARS) return { text: joined, title: JSON.stringify(value) };
    return { text: plural(value.length, "item"), title, nested: true };
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    const flat = entries.flatMap(([k, v]) => {
      const s = primitive(v);
      return s === null ? [] : [`${k} ${s}`];
    });
    const shown = flat.slice(0, MAX_FIELDS).join(" · ");
    if (flat.length === 0 || shown.length > MAX_CHARS) return { text: plural(entries.length, "field"), title, nested: true };
    const rest = entries.length - Math.min(flat.length, MAX_FIELDS);
    return rest > 0 ? { text: `${shown} · +${rest} more`, title, nested: true } : { text: shown, title };
  }
  return { text: String(value) };
}

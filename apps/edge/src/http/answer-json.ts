import { keptJson } from "../cache/event-json.ts";

/**
 * `JSON.stringify(value)` as UTF-8, with every event that has a kept text (see
 * cache/event-json.ts) written from that text instead of serialized again; null when the value
 * holds no such event, so the caller serializes it as before and an edge without a cache pays
 * nothing for this. Answers are plain data (objects, arrays, strings, numbers, booleans, null),
 * written in JSON.stringify's own order and with its rules for what it leaves out; anything else
 * (a Date, a Map, a class with `toJSON`) is handed to JSON.stringify whole. Hand-written because
 * the standard way to splice raw JSON into JSON.stringify (`JSON.rawJSON`) is not in every
 * Node release this runs on.
 */
export function answerJson(value: unknown): Buffer | null {
  if (value === null || typeof value !== "object" || !holdsKept(value, KEPT_DEPTH)) return null;
  const w = new Writer();
  w.container(value, KEPT_DEPTH);
  return w.finish();
}

/**
 * Containers entered below the answer when looking for kept events: a poll's answer, its batches,
 * a batch, then its events, which are only checked (an event's own fields hold none).
 */
const KEPT_DEPTH = 3;

/**
 * Whether a container holds an event with a kept text, entering at most `depth` containers below
 * it. Parts that hold none are handed to JSON.stringify whole (faster than this writer), so an
 * answer of events no hit served costs one lookup per event, not a second serialization.
 */
function holdsKept(v: unknown, depth: number): boolean {
  if (v === null || typeof v !== "object") return false;
  const items: Iterable<unknown> = Array.isArray(v) ? v : isPlain(v) ? Object.values(v) : [];
  for (const item of items) {
    if (item === null || typeof item !== "object") continue;
    if (keptJson(item) || (depth > 0 && holdsKept(item, depth - 1))) return true;
  }
  return false;
}

class Writer {
  private readonly parts: Array<string | Buffer> = [];
  private text = "";
  private bytes = 0;

  /** Writes `v`, looking for kept events at most `depth` containers below it (as `holdsKept`). */
  value(v: unknown, depth: number): void {
    if (v === null || typeof v !== "object") {
      this.text += JSON.stringify(v) ?? "null";
      return;
    }
    const kept = keptJson(v);
    if (kept) {
      this.flush();
      this.parts.push(kept);
      this.bytes += kept.length;
    } else if (depth < 0 || !holdsKept(v, depth)) {
      this.text += JSON.stringify(v) ?? "null";
    } else {
      this.container(v, depth);
    }
  }

  /** Writes a container known to hold a kept event within `depth` (`holdsKept` already said so). */
  container(v: object, depth: number): void {
    if (Array.isArray(v)) {
      this.text += "[";
      for (let i = 0; i < v.length; i++) {
        if (i > 0) this.text += ",";
        const item: unknown = v[i];
        // JSON.stringify writes null for what it cannot write inside an array.
        if (item === undefined || typeof item === "function" || typeof item === "symbol") this.text += "null";
        else this.value(item, depth - 1);
      }
      this.text += "]";
    } else if (isPlain(v)) {
      this.text += "{";
      let first = true;
      for (const key of Object.keys(v)) {
        const item: unknown = (v as Record<string, unknown>)[key];
        // ...and leaves such a field out of an object.
        if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
        this.text += `${first ? "" : ","}${JSON.stringify(key)}:`;
        first = false;
        this.value(item, depth - 1);
      }
      this.text += "}";
    } else {
      this.text += JSON.stringify(v) ?? "null";
    }
  }

  finish(): Buffer {
    this.flush();
    const out = Buffer.allocUnsafe(this.bytes);
    let at = 0;
    for (const p of this.parts) at += typeof p === "string" ? out.write(p, at) : p.copy(out, at);
    return out;
  }

  private flush(): void {
    if (this.text === "") return;
    this.parts.push(this.text);
    this.bytes += Buffer.byteLength(this.text);
    this.text = "";
  }
}

function isPlain(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== "function";
}

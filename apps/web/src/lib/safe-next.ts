/** A stand-in origin: only what resolves against it to itself is a path of this console. */
const HERE = "http://console.invalid";

/**
 * Where to go after sign-in: a path of this console, else "/". A prefix check is not enough:
 * browsers read `\` as `/` and drop tabs and newlines, so `/\evil.example` and `/\t/evil.example`
 * are both `//evil.example`, another site. The value is resolved the way a browser would (the
 * WHATWG URL parser) and kept only when it stays on this origin; the normalized path is returned,
 * so what the browser follows is exactly what was checked.
 */
export function safeNext(raw: string | string[] | undefined): string {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value?.startsWith("/")) return "/";
  let url: URL;
  try {
    url = new URL(value, `${HERE}/login`);
  } catch {
    return "/";
  }
  return url.origin === HERE ? `${url.pathname}${url.search}${url.hash}` : "/";
}

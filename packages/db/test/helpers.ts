import type { IncomingEvent } from "@shardcast/core";

/** Polls `check` until it returns true; fails after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function event(
  seq: number,
  key: string,
  opts: { id?: string; type?: string; ts?: number; payload?: Record<string, unknown>; keyHash?: number } = {},
): IncomingEvent & { seq: number; keyHash: number } {
  const payloadJson = JSON.stringify(opts.payload ?? { n: seq });
  return {
    seq,
    key,
    keyHash: opts.keyHash ?? 0,
    id: opts.id ?? null,
    type: opts.type ?? null,
    ts: opts.ts ?? 1_700_000_000_000 + seq,
    payloadJson,
    sizeBytes: payloadJson.length + key.length + (opts.id?.length ?? 0) + (opts.type?.length ?? 0),
  };
}

import type { IncomingEvent } from "@shardcast/core";

export { waitFor } from "../src/testing.ts";

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

import { sleep } from "@shardcast/core";

export interface OfferedLoad {
  edgeUrl: string;
  token: string;
  stream: string;
  /** Keys the events are spread over (all routed where the load should land). */
  keys: readonly string[];
  batch: number;
  /** Events per second offered; Infinity sends as fast as `maxInFlight` allows. */
  rate: number;
  /** Requests in flight at most: past the host's capacity, batches wait for a slot and ack latency grows. */
  maxInFlight: number;
  fromMs: number;
  toMs: number;
}

export interface OfferedResult {
  /** Events acknowledged inside [fromMs, toMs). */
  acked: number;
  /** Acked events per second over the window. */
  eventsPerSec: number;
  latenciesMs: number[];
}

let sequence = 0;

/**
 * Offers `rate` events/s from `fromMs` to `toMs` in batches on a fixed schedule (an open loop), with
 * at most `maxInFlight` requests outstanding: below the host's capacity every batch leaves on time;
 * above it the schedule falls behind, throughput plateaus at what the host serves and each batch
 * waits longer (a closed loop at the limit), which is how real producers with bounded concurrency
 * behave.
 */
export async function offerLoad(o: OfferedLoad): Promise<OfferedResult> {
  const url = `${o.edgeUrl}/v1/streams/${o.stream}/events`;
  const headers = { "content-type": "application/json", authorization: `Bearer ${o.token}` };
  const intervalMs = Number.isFinite(o.rate) ? (1000 * o.batch) / o.rate : 0;
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  const sends: Array<Promise<void>> = [];
  const latenciesMs: number[] = [];
  let acked = 0;
  // A holder, not a variable: the callbacks set it, and flow analysis would not see that.
  const failed: { error: Error | null } = { error: null };
  const send = async () => {
    const events = Array.from({ length: o.batch }, () => {
      const i = sequence++;
      return { key: o.keys[i % o.keys.length]!, type: "capacity", payload: { i } };
    });
    const t0 = performance.now();
    const res = await fetch(url, { method: "POST", headers, body: JSON.stringify({ events }) });
    if (!res.ok) throw new Error(`edge answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
    latenciesMs.push(performance.now() - t0);
    if (Date.now() < o.toMs) acked += o.batch;
  };
  for (let i = 0; failed.error === null; i++) {
    const at = o.fromMs + i * intervalMs;
    if (at >= o.toMs) break;
    const wait = at - Date.now();
    if (wait > 0) await sleep(wait);
    while (inFlight >= o.maxInFlight) await new Promise<void>((r) => waiting.push(r));
    if (Date.now() >= o.toMs) break;
    inFlight++;
    sends.push(
      send()
        .catch((err: unknown) => {
          failed.error ??= err instanceof Error ? err : new Error(`send failed: ${JSON.stringify(err)}`);
        })
        .finally(() => {
          inFlight--;
          waiting.shift()?.();
        }),
    );
  }
  await Promise.all(sends);
  if (failed.error) throw failed.error;
  return { acked, eventsPerSec: (acked * 1000) / (o.toMs - o.fromMs), latenciesMs };
}

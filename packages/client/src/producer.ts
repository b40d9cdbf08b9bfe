import { randomBytes } from "node:crypto";
import { ShardcastClientError } from "./errors.ts";
import { endpoint, path, type FetchLike } from "./http.ts";
import { deliver, ENVELOPE_BYTES, type DeliveryContext, type Item } from "./producer-delivery.ts";
import type { ProducerEvent, SendResult } from "./types.ts";

export interface ProducerOptions {
  /** The edge's base URL, e.g. `http://127.0.0.1:4000`. */
  url: string;
  /** An API key allowed to produce to `stream`. */
  apiKey: string;
  stream: string;
  /** Most events per request (the edge's own limit is 1,000 by default). Default 500. */
  maxBatchEvents?: number;
  /** Largest request body in bytes. Default 1 MiB. */
  maxBatchBytes?: number;
  /** How long the first event of a batch waits for others before the batch is sent. Default 5 ms. */
  lingerMs?: number;
  /** Retries of a batch after the first attempt (429, any 5xx, no answer). Default 8. */
  maxRetries?: number;
  /** First backoff; doubled per retry, with jitter. Default 100 ms. */
  retryBaseMs?: number;
  /** Longest backoff (a `Retry-After` from the edge may be longer and is honoured). Default 5,000 ms. */
  retryMaxMs?: number;
  /**
   * Requests in flight at once. Default 1, which keeps the positions of one key's events in the
   * order of the `send` calls, across retries too; more trades that for throughput. Across keys,
   * positions follow the calls unless a batch was partly stored: a position never changes once
   * stored, so events an earlier attempt stored keep their earlier positions and the rest of the
   * batch gets later ones.
   */
  maxInFlightBatches?: number;
  /** Events accepted and not yet settled before `send` waits for room. Default 10,000. */
  maxQueuedEvents?: number;
  /** Per request. Default 30,000 ms; a timeout is retried like a network error. */
  requestTimeoutMs?: number;
  fetch?: FetchLike;
  /** Start of generated idempotency ids. Default `sc`. */
  idPrefix?: string;
}

interface Waiter {
  count: number;
  admit(): void;
}

/**
 * A batching producer for one stream. Every event gets an idempotency id before its first attempt,
 * so our retries store it once; a caller's retry after an error stores it once when it sends the
 * id the error names (`err.eventId`). The SDK does not remember ids per event object: sending one
 * object twice on purpose (a template, or one changed in between) must store it twice.
 */
export class ShardcastProducer {
  private readonly ctx: DeliveryContext;
  private readonly maxBatchEvents: number;
  private readonly maxBatchBytes: number;
  private readonly lingerMs: number;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;
  private readonly idBase: string;
  private idCounter = 0;
  private nextNo = 1;
  /** Events with `no` up to this are sent without lingering (set by `flush`). */
  private flushThrough = 0;
  private readonly pending: Item[] = [];
  private pendingBytes = 0;
  private inFlight = 0;
  /** Admitted events not yet settled (the backpressure count). */
  private queued = 0;
  private readonly waiters: Waiter[] = [];
  private readonly unsettled = new Set<Promise<SendResult>>();
  private timer: NodeJS.Timeout | undefined;
  private pumpScheduled = false;
  private closed = false;

  constructor(opts: ProducerOptions) {
    if (!opts.stream) throw new TypeError("stream is required");
    this.ctx = {
      ep: endpoint(opts),
      route: `${path("v1", "streams", opts.stream)}/events`,
      backoff: { baseMs: opts.retryBaseMs ?? 100, maxMs: opts.retryMaxMs ?? 5000 },
      maxRetries: opts.maxRetries ?? 8,
    };
    this.maxBatchEvents = positive(opts.maxBatchEvents ?? 500, "maxBatchEvents");
    this.maxBatchBytes = positive(opts.maxBatchBytes ?? 1024 * 1024, "maxBatchBytes");
    this.lingerMs = Math.max(0, opts.lingerMs ?? 5);
    this.maxInFlight = positive(opts.maxInFlightBatches ?? 1, "maxInFlightBatches");
    this.maxQueued = positive(opts.maxQueuedEvents ?? 10_000, "maxQueuedEvents");
    this.idBase = `${opts.idPrefix ?? "sc"}-${randomBytes(9).toString("base64url")}`;
  }

  /** Sends one event (batched with others); resolves once every storage host committed it. */
  send(event: ProducerEvent): Promise<SendResult> {
    return this.submit([event])[0]!;
  }

  /**
   * Sends several events in this order. Not atomic: they may travel in more than one request,
   * and one refused event does not stop the others (the promise rejects with the first error).
   */
  sendBatch(events: readonly ProducerEvent[]): Promise<SendResult[]> {
    return Promise.all(this.submit(events));
  }

  /** Sends everything queued now without lingering and waits until all of it is settled. */
  async flush(): Promise<void> {
    this.flushThrough = this.nextNo - 1;
    this.schedulePump();
    await Promise.allSettled([...this.unsettled]);
  }

  /** Refuses new events, then flushes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Events waiting to be sent, events not yet settled, and requests in flight. */
  stats(): { pending: number; queued: number; waiting: number; inFlightBatches: number } {
    const waiting = this.waiters.reduce((n, w) => n + w.count, 0);
    return { pending: this.pending.length, queued: this.queued, waiting, inFlightBatches: this.inFlight };
  }

  private submit(events: readonly ProducerEvent[]): Promise<SendResult>[] {
    if (this.closed) {
      const err = new ShardcastClientError({ status: 0, code: "closed", message: "the producer is closed" });
      return events.map(() => Promise.reject(err));
    }
    const items: Item[] = [];
    const promises = events.map((event) => {
      let prepared: Omit<Item, "resolve" | "reject">;
      try {
        prepared = this.prepare(event);
      } catch (err) {
        return Promise.reject(err instanceof ShardcastClientError ? err : invalidEvent(String(err)));
      }
      const eventId = prepared.id;
      const promise = new Promise<SendResult>((resolve, reject) => {
        const done = () => {
          this.unsettled.delete(promise);
          this.release(1);
        };
        items.push({
          ...prepared,
          resolve: (r) => {
            done();
            resolve(r);
          },
          reject: (e) => {
            done();
            reject(e.forEvent(eventId));
          },
        });
      });
      this.unsettled.add(promise);
      return promise;
    });
    if (items.length > 0) this.admit(items.length, () => this.enqueue(items));
    return promises;
  }

  /** Assigns the id and serializes once: every attempt sends these exact bytes. */
  private prepare(event: ProducerEvent): Omit<Item, "resolve" | "reject"> {
    if (typeof event !== "object" || event === null) throw invalidEvent("an event must be an object");
    const generated = event.id === undefined;
    const id = event.id ?? `${this.idBase}-${(this.idCounter++).toString(36)}`;
    const wire = {
      key: event.key,
      id,
      type: event.type,
      ts: event.ts instanceof Date ? event.ts.getTime() : event.ts,
      payload: event.payload,
    };
    let json: string;
    try {
      json = JSON.stringify(wire);
    } catch (err) {
      throw invalidEvent(`the event cannot be serialized as JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    const bytes = Buffer.byteLength(json);
    if (bytes + ENVELOPE_BYTES > this.maxBatchBytes) {
      throw invalidEvent(`the event is ${bytes} bytes as JSON, over maxBatchBytes (${this.maxBatchBytes})`);
    }
    return { id, json, bytes, generated, no: this.nextNo++, at: Date.now(), stored: false };
  }

  /** FIFO admission: a call that finds others waiting waits behind them, so order is kept. */
  private admit(count: number, go: () => void): void {
    if (this.waiters.length === 0 && this.fits(count)) {
      this.queued += count;
      go();
      return;
    }
    this.waiters.push({ count, admit: go });
  }

  // A request larger than the whole limit is let in once the queue is empty, else it never would be.
  private fits(count: number): boolean {
    return this.queued === 0 || this.queued + count <= this.maxQueued;
  }

  private release(count: number): void {
    this.queued -= count;
    while (this.waiters[0] && this.fits(this.waiters[0].count)) {
      const w = this.waiters.shift()!;
      this.queued += w.count;
      w.admit();
    }
  }

  private enqueue(items: Item[]): void {
    for (const item of items) {
      this.pending.push(item);
      this.pendingBytes += item.bytes;
    }
    this.schedulePump();
  }

  // Deferred to a microtask so sends made in one synchronous run share a batch even at lingerMs 0.
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.pending.length > 0) {
      const first = this.pending[0]!;
      const full = this.pending.length >= this.maxBatchEvents || this.bodyBytes(this.pending.length, this.pendingBytes) >= this.maxBatchBytes;
      const deadline = first.at + this.lingerMs;
      if (!full && first.no > this.flushThrough && Date.now() < deadline) {
        if (!this.timer) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.pump();
          }, deadline - Date.now());
        }
        return;
      }
      const batch = this.take();
      this.inFlight++;
      void deliver(this.ctx, batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** The longest prefix of `pending` within the batch limits (at least one event). */
  private take(): Item[] {
    let count = 0;
    let bytes = 0;
    for (const item of this.pending) {
      if (count >= this.maxBatchEvents) break;
      if (count > 0 && this.bodyBytes(count + 1, bytes + item.bytes) > this.maxBatchBytes) break;
      count++;
      bytes += item.bytes;
    }
    this.pendingBytes -= bytes;
    return this.pending.splice(0, count);
  }

  private bodyBytes(events: number, eventBytes: number): number {
    return ENVELOPE_BYTES + eventBytes + Math.max(0, events - 1);
  }
}

function invalidEvent(message: string): ShardcastClientError {
  return new ShardcastClientError({ status: 0, code: "invalid_event", message });
}

function positive(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`${name} must be a positive integer`);
  return n;
}

import { setImmediate as nextTurn } from "node:timers/promises";
import {
  bucketStart,
  compileFields,
  FINEST_RESOLUTION,
  keyHash,
  OVERSIZE,
  parseProfilerSettings,
  ShardletProfile,
  streamProfileSettings,
  type CompiledField,
  type IncomingEvent,
  type ProfileDelta,
  type ProfilerSettings,
} from "@shardcast/core";
import type { RouteEntry } from "../routing-cache.ts";
import type { WriteOutcome } from "./counters.ts";

export interface ProfilerOptions {
  /** The current settings (kept fresh by the caller; read on every batch, so it must not block). */
  settings: () => ProfilerSettings;
  clock?: () => number;
  /** Uniform [0, 1): which events are sampled. */
  random?: () => number;
  /** Payloads longer than this (JSON characters) are not parsed for key fields; their key and size still count. */
  maxParsedPayload?: number;
}

const SEP = "\t";

/** A stream's effective sampling, compiled once per settings value. */
interface StreamSampling {
  rate: number;
  fields: CompiledField[];
  /** Events still to pass over before the next sample (-1: none drawn yet). */
  skip: number;
}

/**
 * The edge's data profiler (seed 004's Data Profiler Module): samples `sample_rate` of each
 * stream's acknowledged events and keeps per-shardlet rolling statistics of the key and the
 * stream's key fields, plus ack and read latency sketches of every event. Drained on each
 * telemetry flush; a bad payload is profiled as far as it goes and never affects the write.
 */
export class EdgeProfiler {
  #buckets = new Map<number, Map<string, ShardletProfile>>();
  readonly #clock: () => number;
  readonly #random: () => number;
  readonly #maxParsed: number;
  #compiled: { settings: ProfilerSettings; byStream: Map<string, StreamSampling> } | null = null;

  constructor(private readonly opts: ProfilerOptions) {
    this.#clock = opts.clock ?? Date.now;
    this.#random = opts.random ?? Math.random;
    this.#maxParsed = opts.maxParsedPayload ?? 64 * 1024;
  }

  #streamSettings(name: string): StreamSampling {
    const settings = this.opts.settings();
    if (this.#compiled?.settings !== settings) this.#compiled = { settings, byStream: new Map() };
    let s = this.#compiled.byStream.get(name);
    if (!s) {
      const eff = streamProfileSettings(settings, name);
      s = { rate: eff.sampleRate, fields: compileFields(eff.keyFields), skip: -1 };
      this.#compiled.byStream.set(name, s);
    }
    return s;
  }

  #profile(streamId: string, shardletId: string): ShardletProfile {
    const b = bucketStart(this.#clock(), FINEST_RESOLUTION);
    let m = this.#buckets.get(b);
    if (!m) this.#buckets.set(b, (m = new Map<string, ShardletProfile>()));
    const id = streamId + SEP + shardletId;
    let p = m.get(id);
    if (!p) m.set(id, (p = new ShardletProfile()));
    return p;
  }

  /** Profiling steps that threw (a bug, never the payload's fault): counted, never passed on to the write. */
  errors = 0;

  /** One answered write batch (see `TelemetryCounters.recordWrites`). Never throws: the batch is already acknowledged. */
  recordWrites(entry: RouteEntry, events: readonly IncomingEvent[], outcomes: ReadonlyArray<WriteOutcome | undefined>, latencyMs: number): void {
    try {
      this.#recordWrites(entry, events, outcomes, latencyMs);
    } catch {
      this.errors++;
    }
  }

  #recordWrites(entry: RouteEntry, events: readonly IncomingEvent[], outcomes: ReadonlyArray<WriteOutcome | undefined>, latencyMs: number): void {
    const sampling = this.#streamSettings(entry.meta.name);
    const { rate, fields } = sampling;
    if (rate <= 0) return;
    if (sampling.skip < 0) sampling.skip = this.#gap(rate);
    const streamId = entry.meta.id;
    // Acknowledged events per shardlet, added to the ack sketches once per batch: a batch's events
    // come in the producer's order, so runs of one shardlet are short, and a sketch update per run
    // cost more than all the sampling.
    const acked = new Map<string, number>();
    for (let i = 0; i < events.length; i++) {
      const o = outcomes[i];
      if (!o || o.duplicate) continue;
      acked.set(o.shardletId, (acked.get(o.shardletId) ?? 0) + 1);
      if (sampling.skip > 0) {
        sampling.skip--;
        continue;
      }
      sampling.skip = this.#gap(rate);
      const e = events[i]!;
      const hash = keyHash(e.key);
      // The shardlet that owns the key now: the profile describes the current ranges.
      const route = entry.table.lookup(hash);
      const width = route.hi - route.lo;
      const position = width > 0 ? (hash - route.lo) / width : 0;
      let payload: unknown = OVERSIZE;
      if (e.payloadJson.length > this.#maxParsed) {
        // Too long to walk for key fields (its key and size still count).
      } else if (e.payload !== undefined) {
        // The value the edge validated, which the text serializes: no second parse.
        payload = e.payload;
      } else {
        try {
          payload = JSON.parse(e.payloadJson);
        } catch {
          payload = undefined;
        }
      }
      this.#profile(streamId, route.id).observe(e.key, payload, e.sizeBytes, position, fields);
    }
    for (const [shardletId, n] of acked) this.#profile(streamId, shardletId).ack.add(latencyMs, n);
  }

  /**
   * Events to pass over before the next sample: geometric with the sampling rate, the same
   * distribution as a draw per event, drawn once per sample so an event not sampled costs a
   * decrement and no random draw.
   */
  #gap(rate: number): number {
    if (rate >= 1) return 0;
    // 1 - u is in (0, 1]: its logarithm is finite.
    return Math.floor(Math.log(1 - this.#random()) / Math.log1p(-rate));
  }

  /** One answered read: the latency of the request, weighted by the events each shardlet returned. */
  recordRead(entry: RouteEntry, shardletIds: readonly string[], latencyMs: number): void {
    try {
      if (shardletIds.length === 0 || this.#streamSettings(entry.meta.name).rate <= 0) return;
      const counts = new Map<string, number>();
      for (const id of shardletIds) counts.set(id, (counts.get(id) ?? 0) + 1);
      for (const [id, n] of counts) this.#profile(entry.meta.id, id).read.add(latencyMs, n);
    } catch {
      this.errors++;
    }
  }

  /**
   * Everything profiled so far; the profiler starts again empty at once. Each profile is encoded
   * in a turn of the event loop of its own: encoding one (its sketches as protobuf, then base64)
   * takes a tenth of a millisecond or more, and all of a flush's at once held every request on the
   * edge behind them for up to 10-15 ms every flush.
   */
  async drain(): Promise<ProfileDelta[]> {
    const out: ProfileDelta[] = [];
    const buckets = this.#buckets;
    this.#buckets = new Map();
    for (const [b, m] of buckets) {
      for (const [id, p] of m) {
        if (p.empty) continue;
        await nextTurn();
        const at = id.indexOf(SEP);
        try {
          out.push({ bucketStart: b, streamId: id.slice(0, at), shardletId: id.slice(at + 1), profile: p.toData() });
        } catch {
          // One profile that cannot be encoded must not hold back the counters flushed with it.
          this.errors++;
        }
      }
    }
    return out;
  }
}

/** The profiler settings as the edge sees them: the last value read, refreshed in the background every `ttlMs`. */
export class ProfilerSettingsCache {
  #value: ProfilerSettings = parseProfilerSettings(undefined);
  #at = 0;
  #loading: Promise<void> | null = null;
  #again: Promise<void> | null = null;

  constructor(
    private readonly load: () => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
    private readonly ttlMs = 5_000,
  ) {}

  get = (): ProfilerSettings => {
    if (Date.now() - this.#at >= this.ttlMs && !this.#loading) void this.refresh();
    return this.#value;
  };

  /**
   * Loads the settings now. A load already under way may have read them before the change this
   * call is for (a refresh after an update then kept the old sample rate until the TTL ran out), so
   * it is awaited and followed by another, shared by every caller that came meanwhile.
   */
  async refresh(): Promise<void> {
    if (this.#loading) {
      this.#again ??= this.#loading.then(() => {
        this.#again = null;
        return this.refresh();
      });
      return this.#again;
    }
    this.#loading = (async () => {
      try {
        this.#value = parseProfilerSettings(await this.load());
      } catch (err) {
        this.onError(err);
      } finally {
        this.#at = Date.now();
        this.#loading = null;
      }
    })();
    return this.#loading;
  }
}

import {
  bucketStart,
  emptyCounters,
  FINEST_RESOLUTION,
  guaranteedCount,
  guaranteedTop,
  lowerSeq,
  OTHER_CLIENT_LABEL,
  SpaceSaving,
  type ShardletCounters,
  type TelemetryDeltas,
} from "@shardcast/core";

/** Who read: labels from the request headers (or the API key), already sanitized. */
export interface ReaderIdentity {
  client: string;
  group: string;
}

/** What a write reports per event: where it went (absent when not stored) and whether it was a duplicate. */
export interface WriteOutcome {
  shardletId: string;
  duplicate: boolean;
}

export interface CountersOptions {
  clock?: () => number;
  /** Counters of each stream's Space-Saving sketches (writes and reads) per bucket. */
  sketchCapacity?: number;
  /** Hot keys per stream and bucket sent on each flush (of writes and of reads, by guaranteed count). */
  hotKeysPerFlush?: number;
  /** Distinct (client, group) pairs per stream and bucket; the rest count as `_other`. */
  maxReadersPerStream?: number;
}

interface StreamBucket {
  shardlets: Map<string, ShardletCounters>;
  writeKeys: SpaceSaving;
  readKeys: SpaceSaving;
  /** `shardlet \t client \t group` -> reads. */
  clients: Map<string, number>;
  /** `client \t group` pairs seen, for the cardinality cap. */
  readers: Set<string>;
}

const SEP = "\t";

/**
 * This edge's telemetry since the last flush, per bucket and stream: counters per shardlet, hot keys
 * by sketch, reads per client. Writes are recorded once per batch (after the ack) and reads once
 * per answered request, each in one pass over the events without allocating per event.
 */
export class TelemetryCounters {
  #buckets = new Map<number, Map<string, StreamBucket>>();
  readonly #clock: () => number;
  readonly #sketchCapacity: number;
  readonly #hotKeysPerFlush: number;
  readonly #maxReaders: number;

  constructor(opts: CountersOptions = {}) {
    this.#clock = opts.clock ?? Date.now;
    this.#sketchCapacity = opts.sketchCapacity ?? 128;
    this.#hotKeysPerFlush = opts.hotKeysPerFlush ?? 32;
    this.#maxReaders = opts.maxReadersPerStream ?? 200;
  }

  /** Buckets holding counters not flushed yet. */
  get bucketCount(): number {
    return this.#buckets.size;
  }

  #stream(streamId: string): StreamBucket {
    const b = bucketStart(this.#clock(), FINEST_RESOLUTION);
    let streams = this.#buckets.get(b);
    if (!streams) this.#buckets.set(b, (streams = new Map<string, StreamBucket>()));
    let s = streams.get(streamId);
    if (!s) {
      s = {
        shardlets: new Map(),
        writeKeys: new SpaceSaving(this.#sketchCapacity),
        readKeys: new SpaceSaving(this.#sketchCapacity),
        clients: new Map(),
        readers: new Set(),
      };
      streams.set(streamId, s);
    }
    return s;
  }

  /**
   * One acknowledged (or partly stored) batch: `outcomes[i]` is where `events[i]` went, undefined
   * when it was not stored. Duplicates were stored before and are not counted again. Every stored
   * event waited `latencyMs` for its ack.
   */
  recordWrites(
    streamId: string,
    events: ReadonlyArray<{ key: string; sizeBytes: number }>,
    outcomes: ReadonlyArray<WriteOutcome | undefined>,
    latencyMs: number,
  ): void {
    const s = this.#stream(streamId);
    let lastId = "";
    let c: ShardletCounters | undefined;
    for (let i = 0; i < events.length; i++) {
      const o = outcomes[i];
      if (!o || o.duplicate) continue;
      const e = events[i]!;
      if (o.shardletId !== lastId || !c) {
        lastId = o.shardletId;
        c = s.shardlets.get(lastId);
        if (!c) s.shardlets.set(lastId, (c = emptyCounters()));
      }
      c.writes++;
      c.bytesWritten += e.sizeBytes;
      c.latencySumMs += latencyMs;
      c.latencyCount++;
      if (latencyMs > c.latencyMaxMs) c.latencyMaxMs = latencyMs;
      s.writeKeys.add(e.key);
    }
  }

  /** One answered read: each event with the shardlet that now owns its key and its size in bytes. */
  recordReads(streamId: string, events: ReadonlyArray<{ key: string; shardletId: string; bytes: number; seq: number }>, reader: ReaderIdentity): void {
    if (events.length === 0) return;
    const s = this.#stream(streamId);
    let readerKey = reader.client + SEP + reader.group;
    if (!s.readers.has(readerKey)) {
      if (s.readers.size >= this.#maxReaders) readerKey = OTHER_CLIENT_LABEL + SEP + OTHER_CLIENT_LABEL;
      s.readers.add(readerKey);
    }
    let lastId = "";
    let c: ShardletCounters | undefined;
    let run = 0;
    const flushRun = () => {
      if (run === 0) return;
      const k = lastId + SEP + readerKey;
      s.clients.set(k, (s.clients.get(k) ?? 0) + run);
      run = 0;
    };
    for (const e of events) {
      if (e.shardletId !== lastId || !c) {
        flushRun();
        lastId = e.shardletId;
        c = s.shardlets.get(lastId);
        if (!c) s.shardlets.set(lastId, (c = emptyCounters()));
      }
      c.reads++;
      c.bytesRead += e.bytes;
      c.minSeqRead = lowerSeq(c.minSeqRead, e.seq);
      run++;
      s.readKeys.add(e.key);
    }
    flushRun();
  }

  /** Everything counted so far, as deltas; the counters start again empty. */
  drain(): TelemetryDeltas {
    const out: TelemetryDeltas = { shardlets: [], hotKeys: [], clients: [] };
    const buckets = this.#buckets;
    this.#buckets = new Map();
    for (const [b, streams] of buckets) {
      for (const [streamId, s] of streams) {
        for (const [shardletId, c] of s.shardlets) out.shardlets.push({ bucketStart: b, streamId, shardletId, ...c });
        // Guaranteed counts, not the sketches' upper bounds: these rows are summed over flushes
        // and edges, and a key missing from some flushes keeps a valid lower bound, while summed
        // upper bounds neither bound anything nor tell a hot key from a flood of distinct keys.
        const keys = new Set<string>();
        for (const e of guaranteedTop(s.writeKeys.top(), this.#hotKeysPerFlush)) keys.add(e.item);
        for (const e of guaranteedTop(s.readKeys.top(), this.#hotKeysPerFlush)) keys.add(e.item);
        for (const key of keys) {
          const w = s.writeKeys.get(key);
          const r = s.readKeys.get(key);
          // A sketch that does not monitor the key may still have missed up to its smallest counter of it.
          const error = (w?.error ?? s.writeKeys.minCount) + (r?.error ?? s.readKeys.minCount);
          out.hotKeys.push({ bucketStart: b, streamId, key, writes: w ? guaranteedCount(w) : 0, reads: r ? guaranteedCount(r) : 0, error });
        }
        for (const [k, reads] of s.clients) {
          const [shardletId, client, group] = k.split(SEP) as [string, string, string];
          out.clients.push({ bucketStart: b, streamId, shardletId, client, clientGroup: group, reads });
        }
      }
    }
    return out;
  }
}

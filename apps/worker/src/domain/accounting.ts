/**
 * Pure accounting math: from a shardlet's previous record and the cumulative totals its host
 * reports, the new figures and the rates over the window since the previous accounting.
 */

export interface ShardletRecord {
  id: string;
  streamId: string;
  eventCount: number;
  sizeBytes: number;
  writeRate: number;
  /** When the record was last written (epoch ms): the start of this window. */
  updatedAtMs: number;
}

export interface HostTotals {
  events: number;
  bytes: number;
}

export interface ShardletUpdate {
  id: string;
  streamId: string;
  eventCount: number;
  sizeBytes: number;
  /** Events per second over the window. */
  writeRate: number;
  /** Bytes per second over the window. */
  byteRate: number;
  /** False when the window is too short to measure: keep the record as is, measure next time. */
  write: boolean;
}

export interface StreamRate {
  /** null for the total over every stream. */
  streamId: string | null;
  eventsPerSec: number;
  bytesPerSec: number;
}

/** Windows shorter than this give noisy rates (e.g. a manual run right after a scheduled one). */
export const MIN_RATE_WINDOW_MS = 1_000;

function perSecond(delta: number, windowMs: number): number {
  return windowMs > 0 ? (delta * 1_000) / windowMs : 0;
}

export function accountShardlet(prev: ShardletRecord, totals: HostTotals | undefined, nowMs: number): ShardletUpdate {
  // A shardlet the host has no totals for yet has stored nothing there.
  const events = totals?.events ?? 0;
  const bytes = totals?.bytes ?? 0;
  const windowMs = nowMs - prev.updatedAtMs;
  if (windowMs < MIN_RATE_WINDOW_MS) {
    const avgEventBytes = prev.eventCount > 0 ? prev.sizeBytes / prev.eventCount : 0;
    return {
      id: prev.id,
      streamId: prev.streamId,
      eventCount: prev.eventCount,
      sizeBytes: prev.sizeBytes,
      writeRate: prev.writeRate,
      byteRate: prev.writeRate * avgEventBytes,
      write: false,
    };
  }
  // Totals shrink only when a host's counters were rebuilt (restore, moved data): no negative rates.
  const deltaEvents = Math.max(0, events - prev.eventCount);
  const deltaBytes = Math.max(0, bytes - prev.sizeBytes);
  return {
    id: prev.id,
    streamId: prev.streamId,
    eventCount: events,
    sizeBytes: bytes,
    writeRate: perSecond(deltaEvents, windowMs),
    byteRate: perSecond(deltaBytes, windowMs),
    write: true,
  };
}

/**
 * Per-stream ingest rates plus the total (streamId null). Every stream that has a shardlet in
 * `updates` gets an entry, so an idle stream reports 0 instead of a gap.
 */
export function streamRates(updates: readonly ShardletUpdate[]): StreamRate[] {
  const byStream = new Map<string, StreamRate>();
  const total: StreamRate = { streamId: null, eventsPerSec: 0, bytesPerSec: 0 };
  for (const u of updates) {
    let rate = byStream.get(u.streamId);
    if (!rate) byStream.set(u.streamId, (rate = { streamId: u.streamId, eventsPerSec: 0, bytesPerSec: 0 }));
    rate.eventsPerSec += u.writeRate;
    rate.bytesPerSec += u.byteRate;
    total.eventsPerSec += u.writeRate;
    total.bytesPerSec += u.byteRate;
  }
  return [...byStream.values(), total];
}

/** Events stored on a host: the sum of its shardlet totals. */
export function hostEventCount(totals: Iterable<HostTotals>): number {
  let n = 0;
  for (const t of totals) n += t.events;
  return n;
}

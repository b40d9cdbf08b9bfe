/** Telemetry counter records: what edges count and the rollup adds up (redis-records.ts says how they travel through Redis). */

import type { ProfileData } from "../profile/shardlet-profile.ts";

export interface ShardletCounters {
  writes: number;
  reads: number;
  bytesWritten: number;
  bytesRead: number;
  /** Sum of write ack latencies, one term per event (an event waits for its whole batch). */
  latencySumMs: number;
  latencyCount: number;
  latencyMaxMs: number;
  /**
   * The lowest position among the events read (absent: none was read). The cold archive's
   * placement job compares it with a shardlet's archived rows: a reader that reached them makes an
   * archive one to restore, while readers of recent events never touch it.
   */
  minSeqRead?: number;
}

export interface ShardletDelta extends ShardletCounters {
  bucketStart: number;
  streamId: string;
  shardletId: string;
}

export interface HotKeyDelta {
  bucketStart: number;
  streamId: string;
  key: string;
  /** Writes the key certainly had (Space-Saving's `count - error`: a lower bound). */
  writes: number;
  /** Reads the key certainly had, likewise. */
  reads: number;
  /** How much more than `writes + reads` the key may have had (what the sketches cannot attribute). */
  error: number;
}

export interface ClientDelta {
  bucketStart: number;
  streamId: string;
  shardletId: string;
  client: string;
  clientGroup: string;
  reads: number;
}

/** One shardlet's profile (see `ShardletProfile`) over the edge's flush interval. */
export interface ProfileDelta {
  bucketStart: number;
  streamId: string;
  shardletId: string;
  profile: ProfileData;
}

export interface TelemetryDeltas {
  shardlets: ShardletDelta[];
  hotKeys: HotKeyDelta[];
  clients: ClientDelta[];
  /** Absent when the profiler is off (or nothing was sampled). */
  profiles?: ProfileDelta[];
}

export function emptyCounters(): ShardletCounters {
  return { writes: 0, reads: 0, bytesWritten: 0, bytesRead: 0, latencySumMs: 0, latencyCount: 0, latencyMaxMs: 0 };
}

export function addCounters(into: ShardletCounters, from: ShardletCounters): void {
  into.writes += from.writes;
  into.reads += from.reads;
  into.bytesWritten += from.bytesWritten;
  into.bytesRead += from.bytesRead;
  into.latencySumMs += from.latencySumMs;
  into.latencyCount += from.latencyCount;
  if (from.latencyMaxMs > into.latencyMaxMs) into.latencyMaxMs = from.latencyMaxMs;
  if (from.minSeqRead !== undefined) into.minSeqRead = lowerSeq(into.minSeqRead, from.minSeqRead);
}

/** The lower of a lowest position read so far (absent: none yet) and another position read. */
export function lowerSeq(sofar: number | undefined, seq: number): number {
  return sofar === undefined || seq < sofar ? seq : sofar;
}

export function emptyDeltas(): TelemetryDeltas {
  return { shardlets: [], hotKeys: [], clients: [] };
}

export function deltaRows(d: TelemetryDeltas): number {
  return d.shardlets.length + d.hotKeys.length + d.clients.length + (d.profiles?.length ?? 0);
}

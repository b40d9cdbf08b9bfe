import type { FencedWriteResult, HostBatchWrite, ShadowWriteResult } from "@shardcast/db/host";
import type { IngestedEvent } from "./ingest-observer.ts";
import type { OverflowHosts } from "./overflow-append.ts";

/** The fallback (`OverflowHosts`): append to shard overflow logs on a shard home host. */
export interface HostWriter extends OverflowHosts {
  /** One statement per host: results are aligned with `write.parts`. */
  fencedWriteBatch(hostId: string, write: HostBatchWrite): Promise<FencedWriteResult[]>;
  /** Shadow writes to the destination of a migration: results are aligned with `write.parts`. */
  shadowWriteBatch(hostId: string, write: HostBatchWrite): Promise<ShadowWriteResult[]>;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  events: IngestedEvent[];
}

/** Admits a validated batch of `events` events and `bytes` bytes, or throws. */
export type Admit = (events: number, bytes: number) => Promise<void>;

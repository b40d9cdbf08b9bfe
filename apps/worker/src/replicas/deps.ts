import type { ControlDb, HostPool } from "@shardcast/db";
import type { Logger } from "@shardcast/runtime/logger";

/** What the read-replica jobs touch, injected so tests can run them directly. */
export interface ReplicaDeps {
  db: ControlDb;
  hosts: HostPool;
  log: Logger;
  clock: () => number;
  /** The stream's read watermark: a replica is never verified past it. Without it nothing is synced. */
  watermark?: (streamId: string) => Promise<number>;
  /** Tells edges that a stream's routes changed (a replica became readable or is being dropped). */
  announce?: (streamId: string) => Promise<void>;
  /** Tells edges how far a replica is verified now, so reads near the tail can use it. */
  progress?: (streamId: string, replicaId: string, verifiedSeq: number) => Promise<void>;
}

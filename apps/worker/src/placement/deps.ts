import type { ControlDb, HostPool } from "@shardcast/db";
import type { Logger } from "@shardcast/runtime/logger";

/** What the placement job touches, injected so tests can run it directly (with a clock of their own). */
export interface PlacementDeps {
  db: ControlDb;
  hosts: HostPool;
  log: Logger;
  clock: () => number;
  /** Tells edges that a stream's routes changed (a replica is dropped). */
  announce?: (streamId: string) => Promise<void>;
}

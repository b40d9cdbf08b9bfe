import type { ControlDb, HostPool } from "@shardcast/db";
import type { Logger } from "@shardcast/runtime/logger";
import type { OpLocks } from "@shardcast/runtime/oplock";

/** Everything a processor touches, injected so tests can run processors directly. */
export interface WorkerDeps {
  db: ControlDb;
  hosts: HostPool;
  log: Logger;
  /** Epoch ms; rates and timestamps come from here, never from Date.now() directly. */
  clock: () => number;
  /** Per-shardlet op-locks, for the jobs that change a shardlet. */
  opLocks?: OpLocks;
  /** How long a host may take to answer a health probe (default 2 s). */
  pingTimeoutMs?: number;
}

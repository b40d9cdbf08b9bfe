import { afterAll, beforeAll } from "vitest";
import { emailOf, startHarness, waitingJobs, type Harness } from "./harness.ts";

/** What the lifecycle console tests share: the settings and shard map shapes, and a one-host console. */

export interface Settings {
  enabled: boolean;
  initialCapacityBytes: number;
  splitThreshold: number;
  splitWriteRate: number;
  mergeThreshold: number;
  mergeWriteRate: number;
  minShardletWidth: number;
  maxShardletsPerStream: number;
}
export interface RangeOut {
  loHex: string;
  lastHex: string;
}
export interface MapShardletOut {
  id: string;
  streamName: string;
  state: string;
  range: RangeOut & { lo: number; hi: number };
  fallbackCount: number;
  capacityBytes: number;
  mergeRightId: string | null;
  archived: { events: number; bytes: number } | null;
  lineage: { kind: "initial" } | { kind: "split"; parent: { id: string; range: RangeOut | null } } | { kind: "merge"; left: { id: string }; right: { id: string } };
}
export interface MapOut {
  splitThreshold: number;
  hosts: Array<{ name: string; shardlets: MapShardletOut[] }>;
}

export const KIB = 1024;

/** The queued jobs (nothing runs them here): name, data and attempts. */
export async function queuedJobs(h: Harness) {
  const jobs = await waitingJobs(h);
  return jobs.map((j) => ({ name: j.name, data: j.data, attempts: j.opts.attempts }));
}

export interface LifecycleConsole {
  h: Harness;
  viewer: string;
  operator: string;
  operatorEmail: string;
}

/** For a test file: a one-host console with a viewer and an operator, started before its tests (handed to `ready`) and closed after them. */
export function useLifecycleConsole(ready: (c: LifecycleConsole) => void): void {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await startHarness({ hosts: 1 });
    const viewer = await h.sessionFor("viewer");
    const operator = await h.sessionFor("operator");
    ready({ h, viewer, operator, operatorEmail: await emailOf(h, operator) });
  });
  afterAll(async () => {
    await h?.close();
  });
}

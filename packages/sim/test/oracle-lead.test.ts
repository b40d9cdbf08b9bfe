import { describe, expect, it } from "vitest";
import type { CapacityHost } from "@shardcast/core";
import { defaultConfig } from "../src/config.ts";
import { oracleLeadSteps } from "../src/policies/predictive.ts";

const HOUR_MS = 3_600_000;
const GB = 1e9;

function view(mibPerSec: number, hosts: Array<Pick<CapacityHost, "status" | "sizeBytes">>, moveModel: "copy" | "handoff" = "copy") {
  const config = defaultConfig(HOUR_MS, 24, { cluster: { moveModel, migrationBytesPerSec: mibPerSec * 1024 * 1024 } });
  const capacityHosts = (): CapacityHost[] => hosts.map((h, i) => ({ id: `h${i}`, capacityEventsPerSec: 10_000, addedAtMs: null, ...h }));
  return { config, workload: { bucketMs: HOUR_MS }, capacityHosts };
}

describe("the oracle's look-ahead", () => {
  const share = (n: number, bytes: number) => Array.from({ length: n }, () => ({ status: "active" as const, sizeBytes: bytes }));

  it("is the time a host's share takes to copy, at most four buckets", () => {
    // 35 GB at 2 x 1 MiB/s: about 4.6 hours, past the cap.
    expect(oracleLeadSteps(view(1, share(8, 35 * GB)))).toBe(4);
    // Four times the copy budget: about 1.2 hours.
    expect(oracleLeadSteps(view(4, share(8, 35 * GB)))).toBe(2);
    // Copies that take minutes: the next bucket only.
    expect(oracleLeadSteps(view(1000, share(8, 35 * GB)))).toBe(1);
    // Hand-offs take seconds, whatever the bytes.
    expect(oracleLeadSteps(view(1, share(8, 35 * GB), "handoff"))).toBe(1);
  });

  it("counts the serving hosts' mean share: a host still provisioning holds nothing yet", () => {
    const hosts = [...share(4, 8 * GB), { status: "provisioning" as const, sizeBytes: 0 }];
    // 8 GB at 2 MiB/s: about 64 minutes.
    expect(oracleLeadSteps(view(1, hosts))).toBe(2);
  });
});

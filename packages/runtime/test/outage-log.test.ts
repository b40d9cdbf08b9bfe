import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.ts";
import { OutageLog } from "../src/outage-log.ts";

describe("OutageLog", () => {
  it("logs an outage once, counts the failures after it, and starts a new outage after a quiet gap", () => {
    let now = 1_000;
    const lines: string[] = [];
    const log = createLogger({ test: "outage" }, { level: "debug", write: (line) => lines.push(line) });
    const outages = new OutageLog({ gapMs: 30_000, now: () => now });
    for (let i = 0; i < 50; i++, now += 500) outages.failed(log, "PostgreSQL", new Error("connect ECONNREFUSED"));
    outages.failed(log, "Redis", new Error("Connection is closed."));
    expect(lines.filter((l) => l.includes("PostgreSQL unavailable"))).toHaveLength(1);
    expect(lines.filter((l) => l.includes("Redis unavailable"))).toHaveLength(1);
    expect(outages.failures("PostgreSQL")).toBe(50);

    now += 30_001;
    outages.failed(log, "PostgreSQL", new Error("connect ECONNREFUSED"));
    const again = lines.filter((l) => l.includes("PostgreSQL unavailable"));
    expect(again).toHaveLength(2);
    // The second outage's line says how the first went.
    expect(JSON.parse(again[1]!)).toMatchObject({ previousFailures: 50, previousOutageMs: 49 * 500 });
    expect(outages.failures("PostgreSQL")).toBe(1);
  });
});

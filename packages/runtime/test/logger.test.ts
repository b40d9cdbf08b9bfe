import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.ts";

function capture(): { lines: Array<Record<string, unknown>>; log: ReturnType<typeof createLogger> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({}, { level: "debug", write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, log };
}

function thrownHere(message: string, cause?: unknown): Error {
  return new Error(message, cause === undefined ? undefined : { cause });
}

describe("logger", () => {
  it("keeps an error's stack, with DSNs in its message and stack redacted", () => {
    const { lines, log } = capture();
    const err = thrownHere("connect failed for postgres://app:hunter2@db.internal:5432/control");
    log.error("storage failed", { error: err });
    const record = lines[0]!.error as { name: string; message: string; stack?: string };
    expect(record.name).toBe("Error");
    expect(record.message).toBe("connect failed for postgres://app:***@db.internal:5432/control");
    expect(record.stack).toMatch(/^Error: connect failed for postgres:\/\/app:\*\*\*@db\.internal:5432\/control\n\s+at thrownHere/);
    expect(record.stack).toContain("logger.test.ts");
    expect(JSON.stringify(lines)).not.toContain("hunter2");
  });

  it("keeps the cause's stack too, redacted the same way", () => {
    const { lines, log } = capture();
    const cause = Object.assign(thrownHere("redis://:s3cret@cache:6379 refused"), { code: "ECONNREFUSED" });
    log.warn("retrying", { err: thrownHere("could not reach the cache", cause) });
    const record = lines[0]!.err as { stack?: string; cause?: { stack?: string; code?: string } };
    expect(record.stack).toMatch(/could not reach the cache\n\s+at /);
    expect(record.cause?.code).toBe("ECONNREFUSED");
    expect(record.cause?.stack).toMatch(/redis:\/\/:\*\*\*@cache:6379/);
    expect(JSON.stringify(lines)).not.toContain("s3cret");
  });
});

import { isTelemetryResolution, ShardcastError, TELEMETRY_RESOLUTIONS, type TelemetryResolution } from "@shardcast/core";
import { Prisma } from "../generated/prisma/client.ts";

/** Epoch ms -> the `timestamp(3)` (UTC, no zone) Prisma stores, independent of the session zone. */
export const ts = (ms: Prisma.Sql) => Prisma.sql`(timestamp '1970-01-01 00:00:00' + ${ms} * interval '1 millisecond')`;
/** `ts` of a number of epoch ms. */
export const tsAt = (ms: number) => ts(Prisma.sql`${ms}::float8`);
/** `timestamp(3)` column -> epoch ms. */
export const epochMs = (col: Prisma.Sql) => Prisma.sql`(extract(epoch FROM ${col}) * 1000)::float8`;

export function checkResolution(resolution: number): asserts resolution is TelemetryResolution {
  if (!isTelemetryResolution(resolution)) {
    throw new ShardcastError("bad_request", `resolution must be one of ${TELEMETRY_RESOLUTIONS.join(", ")} seconds`);
  }
}

export function checkWindow(from: number, to: number): void {
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) throw new ShardcastError("bad_request", "the time window must have to > from");
}

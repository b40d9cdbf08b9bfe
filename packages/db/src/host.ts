/**
 * The storage-host layer on its own: what runs against the host databases (fenced writes, overflow
 * logs, reads, split/merge and migration statements) and the pool of drivers. Importing this does
 * not load the control-plane client, so the edge's hot path depends on the host layer only.
 */
export * from "./host/types.ts";
export type { ArchivedChunk, ArchiveRange, RangeArchiveStats, StreamArchiveTotals } from "./host/archive.ts";
export type { RangeBacklog, RangeSegment, ReadRangesQuery, RangeReadResult } from "./host/range-reads.ts";
export * from "./host/schema.ts";
export * from "./host/identity.ts";
export * from "./host/upgrade.ts";
export * from "./host/driver.ts";
export * from "./host/pool.ts";
export * from "./host/lifecycle.ts";
export * from "./host/drained-rows.ts";
export * from "./host/migration.ts";
export * from "./host/copy-writes.ts";
export * from "./host/migration-leftover.ts";
export * from "./host/migration-verify.ts";
export * from "./host/migration-stats.ts";
export * from "./host/replica.ts";
export * from "./host/layout.ts";
export * from "./host/partitions.ts";
export * from "./host/retention.ts";
export * from "./host/partition-drop.ts";
export * from "./host/id-generations.ts";

import { RETENTION_SETTINGS_KEY, retentionSettingsSchema, type RetentionSettings } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import { mergeSettingsObject, type SettingActor } from "./settings.ts";

/**
 * The control-database side of retention: its settings, each stream's retention and the figures
 * `retention.enforce` records (where each stream starts now, its oldest event, what was freed).
 */

export async function getRetentionSettings(db: ControlDb): Promise<RetentionSettings> {
  const row = await db.setting.findUnique({ where: { key: RETENTION_SETTINGS_KEY } });
  const parsed = retentionSettingsSchema.safeParse(row?.value ?? {});
  // A stored value of an older shape falls back to the defaults rather than stopping expiry.
  return parsed.success ? parsed.data : retentionSettingsSchema.parse({});
}

/** Validates and stores retention settings (merged over the stored ones), audited; `validation_failed` per field. */
export function updateRetentionSettings(db: ControlDb, value: Partial<RetentionSettings>, actor: SettingActor | null): Promise<RetentionSettings> {
  return mergeSettingsObject(db, RETENTION_SETTINGS_KEY, retentionSettingsSchema, "retention", value, actor);
}

export interface StreamRetentionRow {
  id: string;
  name: string;
  retentionHours: number;
  retentionBytes: number | null;
  /** First stored position recorded so far (0: nothing expired yet). */
  startSeq: number;
  oldestEventAt: Date | null;
  freedBytes: number;
  freedEvents: number;
}

export async function listStreamRetention(db: ControlDb): Promise<StreamRetentionRow[]> {
  const rows = await db.stream.findMany({ select: RETENTION_COLUMNS, orderBy: { name: "asc" } });
  return rows.map(toRow);
}

function toRow(r: { id: string; name: string; retentionHours: number; retentionBytes: bigint | null; startSeq: bigint; oldestEventAt: Date | null; freedBytes: bigint; freedEvents: bigint }): StreamRetentionRow {
  return { ...r, retentionBytes: r.retentionBytes === null ? null : num(r.retentionBytes), startSeq: num(r.startSeq), freedBytes: num(r.freedBytes), freedEvents: num(r.freedEvents) };
}

const RETENTION_COLUMNS = { id: true, name: true, retentionHours: true, retentionBytes: true, startSeq: true, oldestEventAt: true, freedBytes: true, freedEvents: true } as const;

/** Changes a stream's retention: hours kept (fractions allowed) and the size cap (null: none). */
export async function setStreamRetention(db: ControlDb, streamId: string, r: { retentionHours?: number; retentionBytes?: number | null }): Promise<void> {
  await db.stream.update({
    where: { id: streamId },
    data: {
      ...(r.retentionHours !== undefined ? { retentionHours: r.retentionHours } : {}),
      ...(r.retentionBytes !== undefined ? { retentionBytes: r.retentionBytes === null ? null : BigInt(Math.round(r.retentionBytes)) } : {}),
    },
  });
}

/**
 * What retention has done so far, by its operation rows: partitions dropped (`retention.drop`) or
 * generations of event ids dropped (`retention.ids`).
 */
export async function countRetentionOperations(db: ControlDb, kind: "retention.drop" | "retention.ids"): Promise<number> {
  return db.operation.count({ where: { kind } });
}

/** Where streams start now and their oldest kept event; a start never moves back. */
export async function recordStreamStarts(db: ControlDb, rows: ReadonlyArray<{ streamId: string; startSeq: number; oldestEventAt: Date | null }>): Promise<void> {
  if (rows.length === 0) return;
  await db.$executeRaw`
    UPDATE streams AS s SET start_seq = greatest(s.start_seq, v.start_seq), oldest_event_at = v.oldest
    FROM unnest(${rows.map((r) => r.streamId)}::text[], ${rows.map((r) => r.startSeq)}::bigint[], ${rows.map((r) => r.oldestEventAt)}::timestamp(3)[])
      AS v(id, start_seq, oldest)
    WHERE s.id = v.id`;
}

/** Adds what a dropped partition held of each stream to the stream's freed figures. */
export async function addFreedFigures(db: ControlDb, rows: ReadonlyArray<{ streamId: string; events: number; bytes: number }>): Promise<void> {
  if (rows.length === 0) return;
  await db.$executeRaw`
    UPDATE streams AS s SET freed_bytes = s.freed_bytes + v.bytes, freed_events = s.freed_events + v.events
    FROM unnest(${rows.map((r) => r.streamId)}::text[], ${rows.map((r) => Math.round(r.events))}::bigint[], ${rows.map((r) => Math.round(r.bytes))}::bigint[])
      AS v(id, events, bytes)
    WHERE s.id = v.id`;
}

/**
 * Lowers shardlets' size and event figures by what a drop removed on their host, at once, so size
 * thresholds (splits, merges) follow the data that is left without waiting for the next
 * accounting; the host's own totals were lowered by the same amounts, so that accounting's rate
 * window sees only the writes. Locked in id order like every multi-row shardlet update.
 */
export async function lowerShardletFigures(db: ControlDb, hostId: string, rows: ReadonlyArray<{ shardletId: string; events: number; bytes: number }>): Promise<void> {
  if (rows.length === 0) return;
  const ids = rows.map((r) => r.shardletId);
  await db.$executeRaw`
    WITH l AS MATERIALIZED (SELECT id FROM shardlets WHERE id = ANY(${ids}::text[]) ORDER BY id FOR UPDATE)
    UPDATE shardlets AS s
    SET size_bytes = greatest(0, s.size_bytes - v.bytes), event_count = greatest(0, s.event_count - v.events)
    FROM l, unnest(${ids}::text[], ${rows.map((r) => Math.round(r.events))}::bigint[], ${rows.map((r) => Math.round(r.bytes))}::bigint[]) AS v(id, events, bytes)
    WHERE s.id = l.id AND v.id = l.id AND s.host_id = ${hostId}`;
}

/** One stream's retention and figures, for the console. */
export async function getStreamRetention(db: ControlDb, streamId: string): Promise<StreamRetentionRow | null> {
  const r = await db.stream.findUnique({ where: { id: streamId }, select: RETENTION_COLUMNS });
  return r ? toRow(r) : null;
}

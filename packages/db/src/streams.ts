import { planStreamLayout, ROUTED_STATES, ShardcastError, streamNameSchema } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { isUniqueViolation, num } from "./errors.ts";
import { safeMessage } from "./safe-message.ts";
import type { Stream as StreamRow } from "./generated/prisma/client.ts";
import type { FenceInput, HostDriver } from "./host/driver.ts";
import type { HostPool } from "./host/pool.ts";

export const DEFAULT_SHARDLET_CAPACITY_BYTES = 10 * 1024 * 1024;
export const DEFAULT_RETENTION_HOURS = 168;
export const DEFAULT_SHARDLETS_PER_SHARD = 1;

export interface NewStream {
  name: string;
  shardCount: number;
  /** Initial shardlets per shard (default 1). */
  shardletsPerShard?: number;
  /** Payload field used as the key when an event has none (default "key"). */
  keyField?: string;
  /** Hours of events kept (default 168; fractions allowed). */
  retentionHours?: number;
  /** Bytes kept at most, oldest forgotten first (default: no cap). */
  retentionBytes?: number | null;
  /** Initial capacity of each shardlet (default 10 MiB); splits follow fullness against it. */
  capacityBytes?: number;
}

export interface Stream {
  id: string;
  name: string;
  keyField: string;
  retentionHours: number;
  retentionBytes: number | null;
  shardCount: number;
  /** Durable high-water mark of reserved global sequence numbers. */
  seqReserved: number;
  createdAt: Date;
}

export interface StreamSummary extends Stream {
  /** Live (non-retired) shardlets. */
  shardletCount: number;
  sizeBytes: number;
  eventCount: number;
  writeRate: number;
  readRate: number;
}

function toStream(r: StreamRow): Stream {
  return {
    id: r.id,
    name: r.name,
    keyField: r.keyField,
    retentionHours: r.retentionHours,
    retentionBytes: r.retentionBytes === null ? null : num(r.retentionBytes),
    shardCount: r.shardCount,
    seqReserved: num(r.seqReserved),
    createdAt: r.createdAt,
  };
}

function positiveInt(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new ShardcastError("validation_failed", `${what} must be a positive integer`);
  return value;
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new ShardcastError("validation_failed", `${what} must be a positive number`);
  return value;
}

function checkedName(name: string): string {
  const parsed = streamNameSchema.safeParse(name);
  if (!parsed.success) throw new ShardcastError("validation_failed", parsed.error.issues[0]?.message ?? "invalid stream name");
  return parsed.data;
}

/**
 * Creates a stream: shards and shardlets (planStreamLayout over the active hosts) in one
 * control-database transaction, plus each shardlet's fence row (epoch 1, active) on its host
 * before that transaction commits. When anything fails, the transaction rolls back and fence rows
 * already written are removed, so no half-created stream remains.
 */
export async function createStream(db: ControlDb, hosts: HostPool, input: NewStream): Promise<Stream> {
  const name = checkedName(input.name);
  const keyField = (input.keyField ?? "key").trim();
  if (keyField.length === 0 || keyField.length > 128) throw new ShardcastError("validation_failed", "keyField must have 1 to 128 characters");
  const retentionHours = positive(input.retentionHours, DEFAULT_RETENTION_HOURS, "retentionHours");
  const retentionBytes = input.retentionBytes == null ? null : positiveInt(input.retentionBytes, 0, "retentionBytes");
  const capacityBytes = positiveInt(input.capacityBytes, DEFAULT_SHARDLET_CAPACITY_BYTES, "capacityBytes");
  if (await db.stream.findUnique({ where: { name }, select: { id: true } })) {
    throw new ShardcastError("conflict", `a stream named "${name}" already exists`);
  }
  const active = await db.host.findMany({
    where: { status: "active" },
    orderBy: [{ createdAt: "asc" }, { name: "asc" }],
    select: { id: true, name: true },
  });
  const plan = planStreamLayout({
    shardCount: input.shardCount,
    shardletsPerShard: input.shardletsPerShard ?? DEFAULT_SHARDLETS_PER_SHARD,
    hostIds: active.map((h) => h.id),
  });
  const hostNames = new Map(active.map((h) => [h.id, h.name]));
  // Fences that may exist on hosts, for cleanup if the creation does not commit.
  const touched = new Map<string, { driver: HostDriver; shardletIds: string[] }>();

  try {
    const stream = await db.$transaction(
      async (tx) => {
        const stream = await tx.stream.create({
          data: { name, keyField, retentionHours, retentionBytes: retentionBytes === null ? null : BigInt(retentionBytes), shardCount: plan.shards.length },
        });
        const shards = await tx.shard.createManyAndReturn({
          data: plan.shards.map((s) => ({ streamId: stream.id, index: s.index, lo: BigInt(s.lo), hi: BigInt(s.hi), homeHostId: s.homeHostId })),
          select: { id: true, index: true },
        });
        const shardIdByIndex = new Map(shards.map((s) => [s.index, s.id]));
        const shardlets = await tx.shardlet.createManyAndReturn({
          data: plan.shardlets.map((s) => ({
            streamId: stream.id,
            shardId: shardIdByIndex.get(s.shardIndex)!,
            lo: BigInt(s.lo),
            hi: BigInt(s.hi),
            hostId: s.hostId,
            capacityBytes: BigInt(capacityBytes),
          })),
          select: { id: true, lo: true, hi: true, hostId: true, epoch: true },
        });
        const byHost = new Map<string, FenceInput[]>();
        for (const s of shardlets) {
          const list = byHost.get(s.hostId) ?? [];
          list.push({ shardletId: s.id, streamId: stream.id, epoch: s.epoch, state: "active", lo: num(s.lo), hi: num(s.hi) });
          byHost.set(s.hostId, list);
        }
        const results = await Promise.allSettled(
          [...byHost].map(async ([hostId, fences]) => {
            const driver = await hosts.get(hostId);
            touched.set(hostId, { driver, shardletIds: fences.map((f) => f.shardletId) });
            try {
              await driver.setFences(fences);
            } catch (err) {
              throw new ShardcastError("unavailable", `writing fences on host "${hostNames.get(hostId) ?? hostId}" failed: ${safeMessage(err)}`, undefined, {
                cause: err,
              });
            }
          }),
        );
        const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
        return stream;
      },
      // Fence writes on several hosts run inside the transaction; allow more than the 5 s default.
      { maxWait: 10_000, timeout: 60_000 },
    );
    return toStream(stream);
  } catch (err) {
    await Promise.allSettled([...touched.values()].map((t) => t.driver.deleteFences(t.shardletIds)));
    if (isUniqueViolation(err)) throw new ShardcastError("conflict", `a stream named "${name}" already exists`);
    throw err;
  }
}

export async function listStreams(db: ControlDb): Promise<StreamSummary[]> {
  const [streams, totals] = await Promise.all([
    db.stream.findMany({ orderBy: { name: "asc" } }),
    db.shardlet.groupBy({
      by: ["streamId"],
      where: { state: { in: [...ROUTED_STATES] } },
      _count: { _all: true },
      _sum: { sizeBytes: true, eventCount: true, writeRate: true, readRate: true },
    }),
  ]);
  const byStream = new Map(totals.map((t) => [t.streamId, t]));
  return streams.map((s) => {
    const t = byStream.get(s.id);
    return {
      ...toStream(s),
      shardletCount: t?._count._all ?? 0,
      sizeBytes: num(t?._sum.sizeBytes ?? 0),
      eventCount: num(t?._sum.eventCount ?? 0),
      writeRate: t?._sum.writeRate ?? 0,
      readRate: t?._sum.readRate ?? 0,
    };
  });
}

export async function getStreamByName(db: ControlDb, name: string): Promise<Stream | null> {
  const row = await db.stream.findUnique({ where: { name } });
  return row ? toStream(row) : null;
}


export async function streamExists(db: ControlDb, id: string): Promise<boolean> {
  return (await db.stream.findUnique({ where: { id }, select: { id: true } })) !== null;
}

/** Every stream's name by id. */
export async function listStreamNames(db: ControlDb): Promise<Array<{ id: string; name: string }>> {
  return db.stream.findMany({ select: { id: true, name: true } });
}

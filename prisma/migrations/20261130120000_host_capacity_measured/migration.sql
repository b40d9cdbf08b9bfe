-- AlterTable
ALTER TABLE "host_resource_samples" ADD COLUMN     "ack_latency_ms" DOUBLE PRECISION,
ADD COLUMN     "active_backends" INTEGER,
ADD COLUMN     "block_read_time_ms" DOUBLE PRECISION,
ADD COLUMN     "block_write_time_ms" DOUBLE PRECISION,
ADD COLUMN     "load_events_per_sec" DOUBLE PRECISION,
ADD COLUMN     "lock_waits" INTEGER,
ADD COLUMN     "wal_bytes" BIGINT;

-- AlterTable
ALTER TABLE "hosts" ADD COLUMN     "capacity_override_events_per_sec" INTEGER,
ADD COLUMN     "measured_capacity_at" TIMESTAMP(3),
ADD COLUMN     "measured_capacity_events_per_sec" DOUBLE PRECISION,
ADD COLUMN     "measured_capacity_note" TEXT;

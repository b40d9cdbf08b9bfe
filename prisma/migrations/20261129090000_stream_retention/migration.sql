-- Retention: fractional hours (streams with minutes of retention for demos and tests), an optional
-- size cap, and the figures retention.enforce records per stream.
ALTER TABLE "streams" ALTER COLUMN "retention_hours" SET DATA TYPE DOUBLE PRECISION;
ALTER TABLE "streams" ADD COLUMN "retention_bytes" BIGINT,
ADD COLUMN "start_seq" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "oldest_event_at" TIMESTAMP(3),
ADD COLUMN "freed_bytes" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "freed_events" BIGINT NOT NULL DEFAULT 0;

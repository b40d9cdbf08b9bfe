-- AlterTable
ALTER TABLE "streams" ADD COLUMN     "predictive_mode" TEXT NOT NULL DEFAULT 'forecast_only';

-- CreateTable
CREATE TABLE "migrations" (
    "id" TEXT NOT NULL,
    "stream_id" TEXT NOT NULL,
    "shardlet_id" TEXT NOT NULL,
    "source_host_id" TEXT NOT NULL,
    "dest_host_id" TEXT NOT NULL,
    "phase" TEXT NOT NULL,
    "origin" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "urgency_sec" INTEGER,
    "expected_benefit" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "expected_load" JSONB,
    "feasibility" JSONB,
    "bytes_to_move" BIGINT NOT NULL DEFAULT 0,
    "rows_total" BIGINT NOT NULL DEFAULT 0,
    "rows_copied" BIGINT NOT NULL DEFAULT 0,
    "copy_cursor" BIGINT NOT NULL DEFAULT 0,
    "copy_target" BIGINT,
    "copy_rate" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "window_start" TIMESTAMP(3),
    "window_end" TIMESTAMP(3),
    "shardlet_epoch" INTEGER NOT NULL DEFAULT 0,
    "cancel_requested" BOOLEAN NOT NULL DEFAULT false,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "proposed_by" TEXT,
    "decided_by" TEXT,
    "decided_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "started_at" TIMESTAMP(3),
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "migrations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "migration_events" (
    "id" BIGSERIAL NOT NULL,
    "migration_id" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "phase" TEXT NOT NULL,
    "level" TEXT NOT NULL DEFAULT 'info',
    "message" TEXT NOT NULL,
    "details" JSONB,

    CONSTRAINT "migration_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "planner_notes" (
    "id" BIGSERIAL NOT NULL,
    "source" TEXT NOT NULL,
    "stream_id" TEXT,
    "shardlet_id" TEXT,
    "host_id" TEXT,
    "message" TEXT NOT NULL,
    "details" JSONB,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "planner_notes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "telemetry_buckets" (
    "resolution" INTEGER NOT NULL,
    "bucket_start" TIMESTAMP(3) NOT NULL,
    "shardlet_id" TEXT NOT NULL,
    "stream_id" TEXT NOT NULL,
    "writes" BIGINT NOT NULL DEFAULT 0,
    "reads" BIGINT NOT NULL DEFAULT 0,
    "bytes_written" BIGINT NOT NULL DEFAULT 0,
    "bytes_read" BIGINT NOT NULL DEFAULT 0,
    "latency_sum_ms" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "latency_count" BIGINT NOT NULL DEFAULT 0,
    "latency_max_ms" DOUBLE PRECISION NOT NULL DEFAULT 0,

    CONSTRAINT "telemetry_buckets_pkey" PRIMARY KEY ("resolution","bucket_start","shardlet_id")
);

-- CreateTable
CREATE TABLE "hot_key_buckets" (
    "resolution" INTEGER NOT NULL,
    "bucket_start" TIMESTAMP(3) NOT NULL,
    "stream_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "key_hash" BIGINT NOT NULL,
    "writes" BIGINT NOT NULL DEFAULT 0,
    "reads" BIGINT NOT NULL DEFAULT 0,
    "error" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "hot_key_buckets_pkey" PRIMARY KEY ("resolution","bucket_start","stream_id","key")
);

-- CreateTable
CREATE TABLE "client_buckets" (
    "resolution" INTEGER NOT NULL,
    "bucket_start" TIMESTAMP(3) NOT NULL,
    "stream_id" TEXT NOT NULL,
    "shardlet_id" TEXT NOT NULL,
    "client" TEXT NOT NULL,
    "client_group" TEXT NOT NULL,
    "reads" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "client_buckets_pkey" PRIMARY KEY ("resolution","bucket_start","shardlet_id","client","client_group")
);

-- CreateTable
CREATE TABLE "host_resource_samples" (
    "id" BIGSERIAL NOT NULL,
    "host_id" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "db_size_bytes" BIGINT NOT NULL,
    "commits" BIGINT NOT NULL,
    "rows_written" BIGINT NOT NULL,
    "blocks_read" BIGINT NOT NULL,
    "blocks_hit" BIGINT NOT NULL,
    "connections" INTEGER NOT NULL,

    CONSTRAINT "host_resource_samples_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "load_hints" (
    "id" TEXT NOT NULL,
    "stream_id" TEXT NOT NULL,
    "lo" BIGINT NOT NULL,
    "hi" BIGINT NOT NULL,
    "events_per_sec" DOUBLE PRECISION NOT NULL,
    "starts_at" TIMESTAMP(3) NOT NULL,
    "ends_at" TIMESTAMP(3) NOT NULL,
    "api_key_id" TEXT,
    "note" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "load_hints_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_versions" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "progress_note" TEXT,
    "mae" DOUBLE PRECISION,
    "rmse" DOUBLE PRECISION,
    "mase" DOUBLE PRECISION,
    "params" JSONB,
    "artifact" JSONB,
    "error" TEXT,
    "trigger" TEXT NOT NULL DEFAULT 'schedule',
    "actor" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMP(3),
    "promoted_at" TIMESTAMP(3),

    CONSTRAINT "model_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "forecast_points" (
    "run_id" TEXT NOT NULL,
    "shardlet_id" TEXT NOT NULL,
    "stream_id" TEXT NOT NULL,
    "bucket_start" TIMESTAMP(3) NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "lower" DOUBLE PRECISION,
    "upper" DOUBLE PRECISION,

    CONSTRAINT "forecast_points_pkey" PRIMARY KEY ("run_id","shardlet_id","bucket_start")
);

-- CreateTable
CREATE TABLE "analyzer_runs" (
    "id" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "horizon_sec" INTEGER NOT NULL,
    "bucket_sec" INTEGER NOT NULL,
    "model_version_id" TEXT,
    "ranking" JSONB NOT NULL,

    CONSTRAINT "analyzer_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "analyzer_proposals" (
    "id" TEXT NOT NULL,
    "run_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "stream_id" TEXT,
    "shardlet_id" TEXT,
    "source_host_id" TEXT,
    "dest_host_id" TEXT,
    "urgency_sec" INTEGER,
    "expected_benefit" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "reason" TEXT NOT NULL,
    "details" JSONB,
    "status" TEXT NOT NULL DEFAULT 'open',
    "migration_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_by" TEXT,
    "decided_at" TIMESTAMP(3),

    CONSTRAINT "analyzer_proposals_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "migrations_phase_idx" ON "migrations"("phase");

-- CreateIndex
CREATE INDEX "migrations_shardlet_id_idx" ON "migrations"("shardlet_id");

-- CreateIndex
CREATE INDEX "migrations_created_at_idx" ON "migrations"("created_at");

-- CreateIndex
CREATE INDEX "migration_events_migration_id_at_idx" ON "migration_events"("migration_id", "at");

-- CreateIndex
CREATE INDEX "planner_notes_source_at_idx" ON "planner_notes"("source", "at");

-- CreateIndex
CREATE INDEX "telemetry_buckets_stream_id_resolution_bucket_start_idx" ON "telemetry_buckets"("stream_id", "resolution", "bucket_start");

-- CreateIndex
CREATE INDEX "client_buckets_stream_id_resolution_bucket_start_idx" ON "client_buckets"("stream_id", "resolution", "bucket_start");

-- CreateIndex
CREATE INDEX "host_resource_samples_host_id_at_idx" ON "host_resource_samples"("host_id", "at");

-- CreateIndex
CREATE INDEX "load_hints_stream_id_ends_at_idx" ON "load_hints"("stream_id", "ends_at");

-- CreateIndex
CREATE INDEX "model_versions_status_idx" ON "model_versions"("status");

-- CreateIndex
CREATE UNIQUE INDEX "model_versions_kind_version_key" ON "model_versions"("kind", "version");

-- CreateIndex
CREATE INDEX "forecast_points_stream_id_bucket_start_idx" ON "forecast_points"("stream_id", "bucket_start");

-- CreateIndex
CREATE INDEX "analyzer_runs_at_idx" ON "analyzer_runs"("at");

-- CreateIndex
CREATE INDEX "analyzer_proposals_status_created_at_idx" ON "analyzer_proposals"("status", "created_at");

-- AddForeignKey
ALTER TABLE "migration_events" ADD CONSTRAINT "migration_events_migration_id_fkey" FOREIGN KEY ("migration_id") REFERENCES "migrations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "analyzer_proposals" ADD CONSTRAINT "analyzer_proposals_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "analyzer_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterEnum
ALTER TYPE "ShardletState" ADD VALUE 'pending';

-- AlterTable
ALTER TABLE "shardlets" ADD COLUMN     "fallback_count" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "merged_from_id" TEXT;

-- CreateTable
CREATE TABLE "lifecycle_jobs" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "stream_id" TEXT NOT NULL,
    "host_id" TEXT NOT NULL,
    "phase" TEXT NOT NULL,
    "source_ids" TEXT[],
    "child_ids" TEXT[],
    "split_at" BIGINT,
    "reason" TEXT NOT NULL,
    "actor" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "rows_moved" BIGINT NOT NULL DEFAULT 0,
    "drained" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "lifecycle_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "lifecycle_jobs_phase_idx" ON "lifecycle_jobs"("phase");

-- CreateIndex
CREATE INDEX "lifecycle_jobs_stream_id_created_at_idx" ON "lifecycle_jobs"("stream_id", "created_at");

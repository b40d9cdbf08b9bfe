-- Hand-off moves: a sealed shardlet keeps its history where it was written, its successor takes
-- the writes on another host.
ALTER TYPE "ShardletState" ADD VALUE IF NOT EXISTS 'sealed' BEFORE 'retired';
ALTER TABLE "shardlets" ADD COLUMN "sealed_at" TIMESTAMP(3);
ALTER TABLE "lifecycle_jobs" ADD COLUMN "dest_host_id" TEXT;
ALTER TABLE "migrations" ADD COLUMN "mode" TEXT NOT NULL DEFAULT 'copy';

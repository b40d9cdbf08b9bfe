-- AlterTable
ALTER TABLE "analyzer_runs" ADD COLUMN     "shardlet_tracker" JSONB;

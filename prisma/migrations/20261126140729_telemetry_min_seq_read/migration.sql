-- AlterTable
ALTER TABLE "telemetry_buckets" ADD COLUMN     "min_seq_read" BIGINT;

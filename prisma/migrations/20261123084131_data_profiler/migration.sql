-- AlterTable
ALTER TABLE "analyzer_proposals" ADD COLUMN     "source" TEXT NOT NULL DEFAULT 'analyzer',
ALTER COLUMN "run_id" DROP NOT NULL;

-- CreateTable
CREATE TABLE "profile_buckets" (
    "bucket_start" TIMESTAMP(3) NOT NULL,
    "shardlet_id" TEXT NOT NULL,
    "stream_id" TEXT NOT NULL,
    "sampled" BIGINT NOT NULL DEFAULT 0,
    "profile" JSONB NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "profile_buckets_pkey" PRIMARY KEY ("shardlet_id","bucket_start")
);

-- CreateIndex
CREATE INDEX "profile_buckets_stream_id_bucket_start_idx" ON "profile_buckets"("stream_id", "bucket_start");

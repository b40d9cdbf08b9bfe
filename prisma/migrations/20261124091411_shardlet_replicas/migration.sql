-- CreateTable
CREATE TABLE "shardlet_replicas" (
    "id" TEXT NOT NULL,
    "stream_id" TEXT NOT NULL,
    "shardlet_id" TEXT NOT NULL,
    "host_id" TEXT NOT NULL,
    "source_host_id" TEXT NOT NULL,
    "epoch" INTEGER NOT NULL,
    "lo" BIGINT NOT NULL,
    "hi" BIGINT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'ready',
    "verified_seq" BIGINT NOT NULL DEFAULT 0,
    "events" BIGINT NOT NULL DEFAULT 0,
    "bytes" BIGINT NOT NULL DEFAULT 0,
    "reason" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "shardlet_replicas_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "shardlet_replicas_stream_id_idx" ON "shardlet_replicas"("stream_id");

-- CreateIndex
CREATE INDEX "shardlet_replicas_shardlet_id_idx" ON "shardlet_replicas"("shardlet_id");

-- AddForeignKey
ALTER TABLE "shardlet_replicas" ADD CONSTRAINT "shardlet_replicas_stream_id_fkey" FOREIGN KEY ("stream_id") REFERENCES "streams"("id") ON DELETE CASCADE ON UPDATE CASCADE;

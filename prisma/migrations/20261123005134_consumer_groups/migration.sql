-- CreateTable
CREATE TABLE "consumer_groups" (
    "id" TEXT NOT NULL,
    "stream_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "start_seq" BIGINT NOT NULL,
    "generation" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consumer_groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "consumer_members" (
    "id" TEXT NOT NULL,
    "group_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "session_timeout_ms" INTEGER NOT NULL,
    "joined_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consumer_members_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "consumer_assignments" (
    "group_id" TEXT NOT NULL,
    "shardlet_id" TEXT NOT NULL,
    "member_id" TEXT,
    "generation" INTEGER NOT NULL,
    "next_member_id" TEXT,
    "handoff_deadline" TIMESTAMP(3),
    "assigned_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "committed_seq" BIGINT,
    "lag_events" BIGINT,
    "lag_seconds" DOUBLE PRECISION,
    "lag_at" TIMESTAMP(3),

    CONSTRAINT "consumer_assignments_pkey" PRIMARY KEY ("group_id","shardlet_id")
);

-- CreateTable
CREATE TABLE "consumer_checkpoints" (
    "group_id" TEXT NOT NULL,
    "shardlet_id" TEXT NOT NULL,
    "cursor" JSONB NOT NULL,
    "position" BIGINT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consumer_checkpoints_pkey" PRIMARY KEY ("group_id","shardlet_id")
);

-- CreateTable
CREATE TABLE "consumer_checkpoint_log" (
    "id" BIGSERIAL NOT NULL,
    "group_id" TEXT NOT NULL,
    "shardlet_id" TEXT NOT NULL,
    "position" BIGINT NOT NULL,
    "trigger" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "events_since" INTEGER NOT NULL,
    "predicted_replay_sec" DOUBLE PRECISION NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consumer_checkpoint_log_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "consumer_group_events" (
    "id" BIGSERIAL NOT NULL,
    "group_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "member_id" TEXT,
    "shardlet_ids" TEXT[],
    "detail" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consumer_group_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "consumer_groups_stream_id_name_key" ON "consumer_groups"("stream_id", "name");

-- CreateIndex
CREATE INDEX "consumer_members_group_id_idx" ON "consumer_members"("group_id");

-- CreateIndex
CREATE INDEX "consumer_assignments_member_id_idx" ON "consumer_assignments"("member_id");

-- CreateIndex
CREATE INDEX "consumer_checkpoint_log_group_id_at_idx" ON "consumer_checkpoint_log"("group_id", "at");

-- CreateIndex
CREATE INDEX "consumer_group_events_group_id_at_idx" ON "consumer_group_events"("group_id", "at");

-- AddForeignKey
ALTER TABLE "consumer_groups" ADD CONSTRAINT "consumer_groups_stream_id_fkey" FOREIGN KEY ("stream_id") REFERENCES "streams"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consumer_members" ADD CONSTRAINT "consumer_members_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "consumer_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consumer_assignments" ADD CONSTRAINT "consumer_assignments_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "consumer_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

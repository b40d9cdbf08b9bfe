-- Events retention forgot before a consumer group read them (counted when a stream's start moves).
ALTER TABLE "consumer_groups" ADD COLUMN "expired_unread_events" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "expired_unread_at" TIMESTAMP(3);

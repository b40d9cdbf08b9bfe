-- Overflow rows are drained into their shardlet, then kept (drained_at set) for a grace period,
-- because readers merge reads across the overflow and the target host. The overflow log only
-- holds events of shardlets that are changing, so it stays small and the indexes are built in the
-- migration's transaction. (Host schema version 2.)
ALTER TABLE sc_overflow ADD COLUMN IF NOT EXISTS drained_at timestamptz;
CREATE UNIQUE INDEX IF NOT EXISTS sc_overflow_seq ON sc_overflow (stream_id, seq);
CREATE INDEX IF NOT EXISTS sc_overflow_pending ON sc_overflow (stream_id, key_hash, seq) WHERE drained_at IS NULL;
CREATE INDEX IF NOT EXISTS sc_overflow_key ON sc_overflow (stream_id, key, ts);
CREATE INDEX IF NOT EXISTS sc_overflow_drained ON sc_overflow (drained_at) WHERE drained_at IS NOT NULL;

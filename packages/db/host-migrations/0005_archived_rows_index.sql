-- shardcast:no-transaction
-- Finds the archived rows of a batch (restore, and dropping batches no row needs any more).
-- Partial: only archived rows are indexed, so writes of new events do not pay for it. Built
-- CONCURRENTLY because sc_events holds every event of the host. (Host schema version 5.)
CREATE INDEX CONCURRENTLY IF NOT EXISTS sc_events_archive_batch ON sc_events (stream_id, archive_batch) WHERE archive_batch IS NOT NULL;

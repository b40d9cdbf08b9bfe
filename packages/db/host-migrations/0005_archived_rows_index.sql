-- shardcast:no-transaction
-- Indexes of archived rows only (partial), so writes of new events do not pay for them. By batch:
-- a restore and the sweep find a batch's rows. By key hash: the placement job counts a range's
-- archived rows and bytes, and a restore lists a range's batches, without visiting the rows that
-- are not archived (INCLUDE, so the counts can come from the index alone). Built CONCURRENTLY
-- because sc_events holds every event of the host. (Host schema version 5.)
CREATE INDEX CONCURRENTLY IF NOT EXISTS sc_events_archive_batch ON sc_events (stream_id, archive_batch) WHERE archive_batch IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS sc_events_archived_hash ON sc_events (stream_id, key_hash) INCLUDE (seq, size_bytes, archive_batch) WHERE archive_batch IS NOT NULL;

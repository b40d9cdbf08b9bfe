-- shardcast:no-transaction
-- Shardlet membership is the key-hash range, not the `shardlet_id` label: counts, sizes and
-- medians of a shardlet read this index (size_bytes included, so sums need no heap visit). The
-- label index it replaces was only used to select a shardlet's rows, so the insert path keeps the
-- same number of indexes. sc_events holds every event of the host, so both statements run
-- CONCURRENTLY: writes go on while the index builds. (Host schema version 3.)
CREATE INDEX CONCURRENTLY IF NOT EXISTS sc_events_hash ON sc_events (stream_id, key_hash) INCLUDE (size_bytes);
DROP INDEX CONCURRENTLY IF EXISTS sc_events_shardlet_seq;

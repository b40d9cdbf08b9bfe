-- An event id is stored once per stream in the overflow log too: a producer that resends a batch
-- while its shardlet is op-locked (after a 503) would otherwise get a second copy at a new
-- position, which readers see until the drain deletes it as a duplicate. Overflow appends skip
-- conflicts on this index and answer with the stored copy's position. Drained rows keep their id
-- until purged, so a resend within the grace period is caught here as well. The overflow log only
-- holds events of shardlets that are changing, so the index is built in the migration's
-- transaction. (Host schema version 8.)
--
-- Copies stored twice before this index existed would make it fail: the later copy of each id
-- goes first, as the drain would delete it (the drain stores the earliest copy and settles every
-- later one as a duplicate of it).
DELETE FROM sc_overflow o
USING sc_overflow k
WHERE o.event_id IS NOT NULL
  AND k.stream_id = o.stream_id
  AND k.event_id = o.event_id
  AND k.seq < o.seq;
CREATE UNIQUE INDEX IF NOT EXISTS sc_overflow_event_id ON sc_overflow (stream_id, event_id) WHERE event_id IS NOT NULL;

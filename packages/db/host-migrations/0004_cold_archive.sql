-- Cold archive. Old payloads of a key-hash range are moved into compressed batches (gzip of their
-- jsonb text, compressed by the writer, so the column is stored as is) and the rows keep
-- everything else: position, key, key hash, event id, time and size. Counts, ordering, the
-- producers' idempotency and the key-hash membership of rows therefore do not change when a range
-- is archived; only a payload read goes through its batch. `payload_md5` is the md5 of the
-- payload's text, so a migration's verification and a restore can check an archived row without
-- reading its batch. Both ALTERs on sc_events change only the catalog (no rewrite, no scan: the
-- CHECK is NOT VALID, and every existing row satisfies it). (Host schema version 4.)
CREATE TABLE IF NOT EXISTS sc_archive (
  batch_id   bigserial PRIMARY KEY,
  stream_id  text NOT NULL,
  -- The key-hash range archived; the shardlet may have split or merged since.
  lo         bigint NOT NULL,
  hi         bigint NOT NULL,
  min_seq    bigint NOT NULL,
  max_seq    bigint NOT NULL,
  events     int NOT NULL,
  -- Payload bytes (jsonb text) before compression, and the compressed batch.
  raw_bytes  bigint NOT NULL,
  blob       bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE sc_archive ALTER COLUMN blob SET STORAGE EXTERNAL;
CREATE INDEX IF NOT EXISTS sc_archive_stream ON sc_archive (stream_id, min_seq);
ALTER TABLE sc_events ALTER COLUMN payload DROP NOT NULL;
ALTER TABLE sc_events ADD COLUMN IF NOT EXISTS archive_batch bigint;
ALTER TABLE sc_events ADD COLUMN IF NOT EXISTS payload_md5 uuid;
ALTER TABLE sc_events DROP CONSTRAINT IF EXISTS sc_events_payload_or_archive;
ALTER TABLE sc_events ADD CONSTRAINT sc_events_payload_or_archive
  CHECK ((payload IS NULL) = (archive_batch IS NOT NULL) AND (archive_batch IS NULL) = (payload_md5 IS NULL)) NOT VALID;

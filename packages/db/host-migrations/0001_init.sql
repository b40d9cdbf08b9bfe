-- Storage on each host database. Events are keyed by (stream, global seq); `event_id` is the
-- producer's idempotency id. Write accounting goes to the append-only `sc_stat_delta` so the hot
-- path never contends on a counter row; `foldStats` folds it into `sc_stat_total`.
-- (Host schema version 1; hosts created before numbered migrations record it in `sc_schema`.)

CREATE TABLE IF NOT EXISTS sc_fence (
  shardlet_id text PRIMARY KEY,
  stream_id   text NOT NULL,
  epoch       int NOT NULL,
  state       text NOT NULL,
  lo          bigint,
  hi          bigint,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS sc_fence_stream ON sc_fence (stream_id);

CREATE TABLE IF NOT EXISTS sc_events (
  stream_id   text NOT NULL,
  seq         bigint NOT NULL,
  -- The shardlet that accepted the write; which shardlet holds the row now is its key_hash range.
  shardlet_id text NOT NULL,
  key         text NOT NULL,
  key_hash    bigint NOT NULL,
  event_id    text,
  type        text,
  ts          timestamptz NOT NULL,
  payload     jsonb NOT NULL,
  size_bytes  int NOT NULL,
  stored_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_id, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS sc_events_event_id ON sc_events (stream_id, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS sc_events_shardlet_seq ON sc_events (shardlet_id, seq);
CREATE INDEX IF NOT EXISTS sc_events_key_ts ON sc_events (stream_id, key, ts);

CREATE TABLE IF NOT EXISTS sc_stat_delta (
  shardlet_id text NOT NULL,
  events      bigint NOT NULL,
  bytes       bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS sc_stat_total (
  shardlet_id text PRIMARY KEY,
  events      bigint NOT NULL DEFAULT 0,
  bytes       bigint NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS sc_overflow (
  overflow_id bigserial PRIMARY KEY,
  shard_id    text NOT NULL,
  stream_id   text NOT NULL,
  seq         bigint NOT NULL,
  shardlet_id text NOT NULL,
  key         text NOT NULL,
  key_hash    bigint NOT NULL,
  event_id    text,
  type        text,
  ts          timestamptz NOT NULL,
  payload     jsonb NOT NULL,
  size_bytes  int NOT NULL,
  stored_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS sc_overflow_shard ON sc_overflow (shard_id, overflow_id);

-- Read replicas. A replica is a copy of one key-hash range of a stream, held on a host other than
-- the range's own, that consumers' range reads may use instead of it. Its rows live in their own
-- table, never in sc_events: a replica shares no fence, no accounting and no primary key with the
-- shardlets the host owns, so a migration of any shardlet onto or off this host cannot touch it,
-- and dropping it cannot delete a row the host owns. `verified_seq` is written in the same
-- statement as the rows it covers: every event of the range with a position up to it is here, so
-- a read capped at it (in the same snapshot) never returns less than the primary would.
-- (Host schema version 6.)
CREATE TABLE IF NOT EXISTS sc_replica (
  replica_id   text PRIMARY KEY,
  stream_id    text NOT NULL,
  lo           bigint NOT NULL,
  hi           bigint NOT NULL,
  verified_seq bigint NOT NULL DEFAULT 0,
  events       bigint NOT NULL DEFAULT 0,
  bytes        bigint NOT NULL DEFAULT 0,
  -- ready: readable up to verified_seq; dropped: readers must not use it (its rows are going).
  state        text NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS sc_replica_events (
  replica_id  text NOT NULL,
  seq         bigint NOT NULL,
  shardlet_id text NOT NULL,
  key         text NOT NULL,
  key_hash    bigint NOT NULL,
  event_id    text,
  type        text,
  ts          timestamptz NOT NULL,
  payload     jsonb NOT NULL,
  size_bytes  int NOT NULL,
  PRIMARY KEY (replica_id, seq)
);

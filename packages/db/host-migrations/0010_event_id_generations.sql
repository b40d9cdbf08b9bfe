-- Producers' ids in two generations, so expiry drops ids a table at a time instead of deleting
-- one row per expired event. `sc_event_ids` takes new ids; `sc_event_ids_prev` holds the ids
-- recorded before the last rotation, all of events stored before `prev_until` (a stored second).
-- Writers look an id up in both. Once every partition of events that could hold a row stored
-- before `prev_until` has been dropped, the retention job drops `sc_event_ids_prev`, renames
-- `sc_event_ids` to it and creates an empty `sc_event_ids`, in one short transaction whose lock
-- waits for the writers in flight (see packages/db/src/host/id-generations.ts).
--
-- The first rotation waits until the events stored before this migration have expired: edges of
-- the version before, which look ids up in `sc_event_ids` only, have one retention window to be
-- upgraded. (Host schema version 10.)
CREATE TABLE IF NOT EXISTS sc_event_ids_prev (
  stream_id text NOT NULL,
  event_id  text NOT NULL,
  seq       bigint NOT NULL,
  part      bigint NOT NULL,
  CONSTRAINT sc_event_ids_prev_pkey PRIMARY KEY (stream_id, event_id)
);
CREATE TABLE IF NOT EXISTS sc_id_generation (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  prev_until bigint NOT NULL,
  rotated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO sc_id_generation (prev_until) VALUES (floor(extract(epoch FROM now()))::bigint + 1)
ON CONFLICT (singleton) DO NOTHING;

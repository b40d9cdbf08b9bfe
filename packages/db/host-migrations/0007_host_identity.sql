-- The host's identity marker: which host of which control plane this database is. A DSN does not
-- identify a database (`localhost` and `127.0.0.1`, extra parameters or another user all reach the
-- same one), so registration reads this row to refuse a database that is already a host, and the
-- mover compares the rows of a move's two hosts before copying: a move onto the database it comes
-- from would delete the only copy of its rows. One row at most; written when a host is registered.
-- (Host schema version 7.)
CREATE TABLE IF NOT EXISTS sc_host_identity (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  -- Random, new at every registration: two hosts showing one identity are one database (or a copy).
  identity   uuid NOT NULL,
  -- The control plane (its cluster_identity row) and the host (hosts.id, hosts.name) it registered.
  cluster_id uuid NOT NULL,
  host_id    text NOT NULL,
  host_name  text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now()
);

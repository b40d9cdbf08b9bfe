import type { Batch } from "./types.ts";

/**
 * Exactly-once processing over at-least-once delivery. An event is identified by
 * `(streamId, seq)`; a dedupe record for it is written in the same transaction as the handler's
 * effects, so either both commit or neither does, and a redelivered event finds its record and is
 * skipped. Redelivery happens after a crash, a lost session or a rebalance, and when a poll's
 * commit was lost with the connection.
 */

/** What identifies an event for deduplication. */
export interface EventIdentity {
  streamId: string;
  seq: number;
}

export interface DedupeStore<Tx> {
  /** Runs `fn` in one transaction: commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * The events of `events` not processed before, in their order. A store may record them here
   * already (and lock them against a concurrent transaction), as the PostgreSQL store does.
   */
  filterNew<E extends EventIdentity>(tx: Tx, events: readonly E[]): Promise<E[]>;
  /** Records `events` as processed, in `tx`. */
  markDone(tx: Tx, events: readonly EventIdentity[]): Promise<void>;
}

/** A batch of events; by default the consumer's batch (`ConsumerBatch`). */
export interface EventBatch {
  events: readonly EventIdentity[];
}

/** The handler of `exactlyOnce`: gets only new events, and the transaction to write its effects in. */
export type ExactlyOnceHandler<Tx, B extends EventBatch = Batch> = (events: Array<B["events"][number]>, tx: Tx, batch: B) => Promise<void>;

/**
 * Wraps a handler so each event's effects happen once: the handler sees only events without a
 * dedupe record and writes through `tx`; its writes and the records commit together. If the handler
 * throws, the transaction rolls back and the batch fails (the consumer runs it again).
 *
 * The guarantee covers effects written through `tx`. Anything else the handler does (an HTTP call,
 * a message to another system) can still happen twice and needs its own idempotency.
 */
export function exactlyOnce<Tx, B extends EventBatch = Batch>(handler: ExactlyOnceHandler<Tx, B>, store: DedupeStore<Tx>): (batch: B) => Promise<void> {
  return async (batch) => {
    if (batch.events.length === 0) return;
    await store.transaction(async (tx) => {
      const fresh = await store.filterNew(tx, batch.events);
      if (fresh.length === 0) return;
      await handler(fresh, tx, batch);
      await store.markDone(tx, fresh);
    });
  };
}

/** The part of a node-postgres client the store uses (no dependency on `pg` itself). */
export interface PgClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount?: number | null }>;
  /** Back to the pool; a truthy argument destroys the connection instead. */
  release(err?: Error | boolean): void;
}

/** A node-postgres `Pool`, or anything with the same `connect()`. */
export interface PgPool<C extends PgClient = PgClient> {
  connect(): Promise<C>;
}

export interface PostgresDedupeOptions<C extends PgClient> {
  pool: PgPool<C>;
  /** Table of processed events, optionally schema-qualified. Default `shardcast_processed`. */
  table?: string;
  /** Lets several processors share one table, each with its own records. Default `""`. */
  scope?: string;
}

export interface PostgresDedupeStore<C extends PgClient> extends DedupeStore<C> {
  /** Creates the table (and its index) if missing. */
  ensureTable(): Promise<void>;
  /**
   * Deletes this scope's records older than `olderThanMs`; answers how many. Safe only when no
   * event older than that can be delivered again (a group is never rewound further back).
   */
  prune(olderThanMs: number): Promise<number>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A DedupeStore in PostgreSQL. The handler gets the transaction's client as `tx`: its own writes
 * through it commit together with the dedupe records.
 *
 * `filterNew` is also the record: `INSERT ... ON CONFLICT DO NOTHING RETURNING` inserts the rows
 * that are new and returns exactly those. Inserting first (rather than reading, then writing in
 * `markDone`) is what makes concurrent processing safe: a second transaction with the same event
 * (the old and the new owner of a shardlet during a hand-off) waits on the first one's row and then
 * skips it, or takes it over if the first rolled back. `markDone` has nothing left to do.
 */
export function postgresDedupeStore<C extends PgClient = PgClient>(opts: PostgresDedupeOptions<C>): PostgresDedupeStore<C> {
  const { pool } = opts;
  const scope = opts.scope ?? "";
  const parts = (opts.table ?? "shardcast_processed").split(".");
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw new TypeError(`table must be a plain or schema-qualified name of letters, digits and _, not ${JSON.stringify(opts.table)}`);
  }
  const table = parts.map((p) => `"${p}"`).join(".");
  const indexName = `"${parts[parts.length - 1]!}_processed_at"`;

  async function withClient<T>(fn: (client: C) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }

  return {
    async transaction<T>(fn: (tx: C) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        const result = await fn(client);
        await client.query("COMMIT");
        return result;
      } catch (err) {
        try {
          await client.query("ROLLBACK");
        } catch (rollbackErr) {
          // A connection that cannot even roll back must not go back to the pool mid-transaction.
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        }
        throw err;
      } finally {
        client.release(broken);
      }
    },

    async filterNew<E extends EventIdentity>(tx: C, events: readonly E[]): Promise<E[]> {
      if (events.length === 0) return [];
      const { rows } = await tx.query(
        `INSERT INTO ${table} (scope, stream_id, seq)
         SELECT $1, u.stream_id, u.seq FROM unnest($2::text[], $3::bigint[]) AS u(stream_id, seq)
         ON CONFLICT DO NOTHING
         RETURNING stream_id, seq::text AS seq`,
        [scope, events.map((e) => e.streamId), events.map((e) => String(e.seq))],
      );
      const inserted = new Set(rows.map((r) => identity(r as { stream_id: string; seq: string })));
      // Each inserted identity once: a batch that names one event twice has it processed once.
      return events.filter((e) => inserted.delete(`${e.streamId}\u0000${e.seq}`));
    },

    markDone(): Promise<void> {
      return Promise.resolve();
    },

    async ensureTable(): Promise<void> {
      await withClient(async (client) => {
        try {
          await client.query(
            `CREATE TABLE IF NOT EXISTS ${table} (
               scope text NOT NULL DEFAULT '',
               stream_id text NOT NULL,
               seq bigint NOT NULL,
               processed_at timestamptz NOT NULL DEFAULT now(),
               PRIMARY KEY (scope, stream_id, seq)
             )`,
          );
          await client.query(`CREATE INDEX IF NOT EXISTS ${indexName} ON ${table} (processed_at)`);
        } catch (err) {
          // Two processes creating the table at once: the loser's "already exists" is success.
          const code = (err as { code?: unknown }).code;
          if (code !== "23505" && code !== "42P07") throw err;
        }
      });
    },

    async prune(olderThanMs: number): Promise<number> {
      return withClient(async (client) => {
        const res = await client.query(`DELETE FROM ${table} WHERE scope = $1 AND processed_at < now() - make_interval(secs => $2)`, [
          scope,
          olderThanMs / 1000,
        ]);
        return res.rowCount ?? 0;
      });
    },
  };
}

function identity(row: { stream_id: string; seq: string }): string {
  return `${row.stream_id}\u0000${row.seq}`;
}

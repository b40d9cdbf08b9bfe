export { ShardcastProducer, type ProducerOptions } from "./producer.ts";
export { ShardcastConsumer, type ConsumerBatch, type ConsumerMetrics, type ConsumerOptions, type ConsumerPhase } from "./consumer.ts";
export { GroupApi, type HeartbeatAnswer, type JoinAnswer, type JoinRequest, type PollAnswer, type PollRequest } from "./consumer-api.ts";
export {
  exactlyOnce,
  postgresDedupeStore,
  type DedupeStore,
  type EventBatch,
  type EventIdentity,
  type ExactlyOnceHandler,
  type PgClient,
  type PgPool,
  type PostgresDedupeOptions,
  type PostgresDedupeStore,
} from "./idempotent.ts";
export {
  asClientError,
  isShardcastClientError,
  ShardcastClientError,
  type ClientErrorCode,
  type EdgeErrorCode,
  type ShardcastErrorCode,
} from "./errors.ts";
export type { FetchLike } from "./http.ts";
export type { Assignment, Batch, CheckpointRequest, Commit, GroupView, ProducerEvent, SendResult, SnapshotRequest, StoredEvent } from "./types.ts";

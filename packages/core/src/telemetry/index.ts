export * from "./space-saving.ts";
export * from "./buckets.ts";
export * from "./records.ts";
export {
  BUCKET_KEY_KINDS,
  decodeBucket,
  flushCommands,
  telemetryRedisKeys,
  type BucketContents,
  type BucketKeyKind,
  type RedisCommand,
  type TelemetryRedisKeys,
} from "./redis-records.ts";
export * from "./fold.ts";
export * from "./client-labels.ts";

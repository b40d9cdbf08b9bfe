import { errorStatus, isShardcastError } from "@shardcast/core";
import { redisUnavailable } from "@shardcast/runtime";

/** `rejected` for what the request is at fault for (a 4xx), `failed` for the rest (a 5xx). */
export function failureOutcome(thrown: unknown): "rejected" | "failed" {
  const err = redisUnavailable(thrown) ?? thrown;
  return isShardcastError(err) && errorStatus(err.code) < 500 ? "rejected" : "failed";
}

/** Stands for every stream name that names no stream, so probing for names adds no metric series. */
export const UNKNOWN_STREAM = "_unknown";

/** The stream a failed request is counted for: its name, unless the stream does not exist. */
export function streamLabel(stream: string, err: unknown): string {
  return isShardcastError(err) && err.code === "not_found" ? UNKNOWN_STREAM : stream;
}

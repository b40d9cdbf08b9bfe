import type { createRedis } from "@shardcast/runtime";

// Its own module so that the request context and the pieces it carries (the sign-in limiter) can
// both name the client without importing each other.
export type RedisClient = ReturnType<typeof createRedis>;

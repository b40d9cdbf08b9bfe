import type { Redis } from "ioredis";

/** Scripts already defined on each client (ioredis keeps a defined command per client). */
const defined = new WeakMap<Redis, Set<string>>();

type ScriptCall = (numberOfKeys: number, ...keysAndArgs: Array<string | number>) => Promise<unknown>;

/**
 * Runs a Lua script by its SHA (EVALSHA), sending its text only the first time on each connection
 * and again after Redis answers NOSCRIPT (a restart or SCRIPT FLUSH). ioredis' `defineCommand` does
 * this; plain EVAL sent the whole script with every call: on the write path (sequence blocks) and
 * every consumer poll that was kilobytes per command, encoded on the edge and hashed by Redis.
 * `name` must be unique per script (it becomes a method of the client).
 */
export function runScript(redis: Redis, name: string, lua: string, numberOfKeys: number, ...keysAndArgs: Array<string | number>): Promise<unknown> {
  let names = defined.get(redis);
  if (!names) defined.set(redis, (names = new Set()));
  if (!names.has(name)) {
    redis.defineCommand(name, { lua });
    names.add(name);
  }
  // defineCommand adds the method at run time; its type is not known to the client's interface.
  const call = (redis as unknown as Record<string, ScriptCall>)[name];
  if (!call) throw new Error(`script ${name} is not defined on this Redis client`);
  return call.call(redis, numberOfKeys, ...keysAndArgs);
}

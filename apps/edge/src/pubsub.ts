import type { Redis } from "ioredis";
import { apiKeyChannel, keepSubscribed, opLocksChannel, parseOpLockMessage, parseRoutingMessage, pinsChannel, replicaChannel, routingChannel, type Logger } from "@shardcast/runtime";
import type { ApiKeyAuth } from "./auth.ts";
import type { EdgeReadCache } from "./cache/read-cache.ts";
import type { ReplicaHints } from "./consumers/replica-routing.ts";
import type { LockView } from "./lock-view.ts";
import type { PatchOutcome, RoutingCache } from "./routing-cache.ts";

/**
 * The edge's pub/sub: route changes, revoked API keys, op-locks, replica watermarks and the pin
 * set arrive on their channels; a (re)connected subscriber refreshes everything it may have missed.
 */
export function subscribeToEdgeChannels(deps: {
  subscriber: Redis;
  prefix: string;
  routing: RoutingCache;
  auth: ApiKeyAuth;
  locks: LockView;
  replicaHints: ReplicaHints;
  readCache: EdgeReadCache;
  log: Logger;
  /** Told what became of each routing patch (for the metrics). */
  patched?: (outcome: PatchOutcome) => void;
}): void {
  const { subscriber, prefix, routing, auth, locks, replicaHints, readCache, log } = deps;
  const routingCh = routingChannel(prefix);
  const keysCh = apiKeyChannel(prefix);
  const locksCh = opLocksChannel(prefix);
  const replicasCh = replicaChannel(prefix);
  const pinsCh = pinsChannel(prefix);
  // Route reloads that routing messages started and that have not answered yet.
  const reloads = new Set<Promise<unknown>>();
  subscriber.on("message", (channel: string, message: string) => {
    try {
      if (channel === routingCh) {
        const msg = parseRoutingMessage(message);
        if (!msg) throw new Error("not a routing message");
        routing.forgetMissing();
        if (msg.streamId === undefined) return;
        // A change's own routes: installed here and now, no query. Refused (stale, or made against
        // routes this edge does not have), they are read as without a patch.
        const outcome = msg.patch ? routing.applyPatch(msg.streamId, msg.patch) : null;
        if (outcome !== null) deps.patched?.(outcome);
        if (outcome === "applied" || outcome === "unloaded") {
          locks.routesChanged();
          return;
        }
        const reload = routing
          .refreshById(msg.streamId, "pubsub")
          .then(() => locks.routesChanged())
          .catch((err: unknown) => log.warn("routing refresh failed", { err }));
        reloads.add(reload);
        void reload.finally(() => reloads.delete(reload));
        return;
      }
      const msg = JSON.parse(message) as { prefix?: string; replicaId?: unknown; verifiedSeq?: unknown };
      if (channel === keysCh && msg.prefix) {
        auth.evictPrefix(msg.prefix);
      } else if (channel === replicasCh) {
        if (typeof msg.replicaId === "string" && typeof msg.verifiedSeq === "number") replicaHints.observe(msg.replicaId, msg.verifiedSeq);
      } else if (channel === pinsCh) {
        void readCache.loadPins().catch((err: unknown) => log.warn("pin set refresh failed", { err }));
      } else if (channel === locksCh) {
        const lock = parseOpLockMessage(message);
        // A release waits for the reloads the job's switch announced (see LockView.releaseAfter).
        if (lock && !lock.locked && reloads.size > 0) locks.releaseAfter(lock.shardletId, Promise.allSettled([...reloads]));
        else if (lock) locks.apply(lock.shardletId, lock.locked, lock.holdMs);
      }
    } catch (err) {
      log.warn("ignored malformed pub/sub message", { channel, err });
    }
  });
  // A (re)connected subscriber may have missed messages: refresh everything.
  let connectedBefore = false;
  subscriber.on("ready", () => {
    // A revocation sent while the connection was down went unheard: look every key up again
    // rather than trust it until its TTL. (Before the first connect, keys were only just verified.)
    if (connectedBefore) auth.evictAll();
    connectedBefore = true;
    void routing.refreshAll("reconnect");
    void locks.resync();
    void readCache.loadPins().catch((err: unknown) => log.warn("pin set refresh failed", { err }));
  });
  keepSubscribed(subscriber, [routingCh, keysCh, locksCh, replicasCh, pinsCh], (err: unknown) => log.error("pub/sub subscribe failed; retried at the next reconnect", { err })).catch(
    (err: unknown) => log.error("pub/sub subscribe failed", { err }),
  );
}

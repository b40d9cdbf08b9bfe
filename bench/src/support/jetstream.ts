import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import type { WorkloadEvent } from "@shardcast/core";
import { pool } from "./pool.ts";

/**
 * NATS JetStream as a peer in the same run: an event log users weigh against Shardcast. The same
 * events go to one file-backed stream with their ids as dedupe ids (`Nats-Msg-Id`), a batch's
 * events published at once and the batch done when every one is acknowledged (JetStream has no
 * batch append), with the same number of concurrent producers as the edge gets.
 */
export interface JetStreamPeer {
  /** Events/s for these batches. */
  publish(batches: WorkloadEvent[][], concurrency: number): Promise<number>;
  close(): Promise<void>;
}

/** The peer, or null (with the reason) when no JetStream answers at `url`. */
export async function connectJetStream(url: string): Promise<{ peer: JetStreamPeer } | { skipped: string }> {
  let nc;
  try {
    nc = await connect({ servers: url, timeout: 2000 });
  } catch (err) {
    return { skipped: `no NATS at ${url} (${err instanceof Error ? err.message : String(err)})` };
  }
  const name = `SCBENCH_${randomBytes(4).toString("hex").toUpperCase()}`;
  const subject = `scbench.${name.toLowerCase()}.events`;
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name, subjects: [subject], storage: StorageType.File });
    const js = jetstream(nc);
    const encoder = new TextEncoder();
    return {
      peer: {
        async publish(batches, concurrency) {
          const start = performance.now();
          await pool(batches, concurrency, (batch) =>
            Promise.all(batch.map((e) => js.publish(subject, encoder.encode(JSON.stringify(e)), { msgID: e.id ?? undefined }))),
          );
          const events = batches.reduce((n, b) => n + b.length, 0);
          return (events * 1000) / (performance.now() - start);
        },
        async close() {
          await jsm.streams.delete(name).catch(() => undefined);
          await nc.close();
        },
      },
    };
  } catch (err) {
    await nc.close().catch(() => undefined);
    return { skipped: `NATS at ${url} has no JetStream (${err instanceof Error ? err.message : String(err)})` };
  }
}

import { ageCutoffSec, sizeCutoffSec, streamCutoffSec, type PartRange } from "@shardcast/core";
import { keptFrom, setStreamStarts, streamBytesIn, type HostDriver, type HostPartitions, type StreamRetentionRow } from "@shardcast/db";

/** A partitioned host as one retention run sees it. */
export interface HostView {
  id: string;
  name: string;
  driver: HostDriver;
  parts: HostPartitions;
  /** Streams with a fence or a recorded start on the host. */
  streams: Set<string>;
  /** Each stream's first kept position recorded on the host. */
  starts: Map<string, number>;
}

/** A partition's newest possible stored second: its upper bound, or for the legacy one the host's switch. */
export function newestSecond(p: { legacy: boolean; hi: number }, parts: HostPartitions): number | null {
  return p.legacy ? parts.legacyUntilSec : p.hi;
}

/**
 * The cutoff a size cap asks for: the stream's bytes per partition on every host that holds it,
 * newest first, until they pass the cap (only partitions still kept by age are counted, and the
 * counting stops there, so a run reads about the cap's worth of the stream's index, not all of it).
 */
async function sizeCutoff(stream: StreamRetentionRow, holders: readonly HostView[], nowSec: number): Promise<number | null> {
  const cap = stream.retentionBytes;
  if (cap === null) return null;
  const age = ageCutoffSec(nowSec, stream.retentionHours);
  const parts = holders
    .flatMap((h) => h.parts.attached.map((p) => ({ h, p, hi: newestSecond(p, h.parts) })))
    .filter((x): x is typeof x & { hi: number } => x.hi !== null && x.hi > age)
    .sort((a, b) => b.hi - a.hi);
  const seen: Array<PartRange & { bytes: number }> = [];
  for (const { h, p, hi } of parts) {
    seen.push({ lo: Number.isFinite(p.lo) ? p.lo : 0, hi, bytes: await streamBytesIn(h.driver, p.name, stream.id) });
    const cut = sizeCutoffSec(seen, cap);
    if (cut !== null) return cut;
  }
  return null;
}

/** Each stream's cutoff: the stored second before which its events are forgotten (age, or its size cap). */
export async function streamCutoffs(streams: readonly StreamRetentionRow[], views: readonly HostView[], nowSec: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const s of streams) {
    const holders = views.filter((v) => v.streams.has(s.id));
    out.set(s.id, streamCutoffSec(nowSec, s, await sizeCutoff(s, holders, nowSec)));
  }
  return out;
}

export interface StreamStart {
  streamId: string;
  /** The stream's first kept position: reads on every host skip the rows below it. */
  startSeq: number;
  /** Stored time of its first kept event, epoch seconds (null: it keeps none). */
  oldestSec: number | null;
}

/**
 * Where each stream starts now: its first row stored at or after its cutoff, over every host that
 * holds it (one index walk per host from the start recorded there, so only rows that expired since
 * the last run are stepped over). A stream that keeps nothing starts past its highest position.
 * The start is then recorded on those hosts (never moved back), before any partition is dropped:
 * reads forget a stream's expired rows as soon as they expire, whether or not their partition can
 * go yet.
 */
export async function moveStreamStarts(streams: readonly StreamRetentionRow[], views: readonly HostView[], cutoffs: ReadonlyMap<string, number>): Promise<StreamStart[]> {
  const out: StreamStart[] = [];
  const writes = new Map<HostView, Array<{ streamId: string; startSeq: number; cutoffSec: number }>>();
  for (const s of streams) {
    const cutoff = cutoffs.get(s.id);
    const holders = views.filter((v) => v.streams.has(s.id));
    if (cutoff === undefined || holders.length === 0) continue;
    const found = await Promise.all(holders.map((h) => keptFrom(h.driver, s.id, Math.max(h.starts.get(s.id) ?? 0, s.startSeq), cutoff)));
    const firsts = found.flatMap((f) => (f.first ? [f.first] : []));
    const maxSeq = Math.max(0, ...found.map((f) => f.maxSeq));
    let start: StreamStart;
    if (firsts.length > 0) {
      start = { streamId: s.id, startSeq: Math.min(...firsts.map((f) => f.seq)), oldestSec: Math.min(...firsts.map((f) => f.storedSec)) };
    } else if (maxSeq > 0) {
      start = { streamId: s.id, startSeq: maxSeq + 1, oldestSec: null };
    } else continue;
    if (start.startSeq <= s.startSeq && holders.every((h) => (h.starts.get(s.id) ?? 0) >= start.startSeq)) {
      out.push({ ...start, startSeq: Math.max(start.startSeq, s.startSeq) });
      continue;
    }
    out.push(start);
    for (const h of holders) {
      let list = writes.get(h);
      if (!list) writes.set(h, (list = []));
      list.push({ streamId: s.id, startSeq: start.startSeq, cutoffSec: cutoff });
    }
  }
  await Promise.all([...writes].map(([h, rows]) => setStreamStarts(h.driver, rows)));
  return out;
}

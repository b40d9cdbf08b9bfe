/** Reads of one client (and its group) on one shardlet in one bucket, as the rollup stores them. */
export interface ClientReadRow {
  bucketStart: number;
  shardletId: string;
  client: string;
  clientGroup: string;
  reads: number;
}

export interface ClientActivityFeatures {
  /** Distinct clients that read the shardlet in the step. */
  distinctClients: number[];
  /** Distinct client groups that read the shardlet in the step. */
  distinctGroups: number[];
  /** The shardlet's share of the stream's reads in the step (0 without reads). */
  readShare: number[];
  /** Share of the shardlet's reads that came from its busiest group (1 = one group reads it all). */
  topGroupShare: number[];
}

/**
 * Per-step reader activity of `shardletId` from client rows of its whole stream (the stream's rows
 * give the denominator of `readShare`). Rows are placed on steps of `stepMs` from `startMs`.
 */
export function clientActivityFeatures(
  rows: Iterable<ClientReadRow>,
  opts: { shardletId: string; startMs: number; stepMs: number; steps: number },
): ClientActivityFeatures {
  const { steps } = opts;
  const clients = Array.from({ length: steps }, () => new Set<string>());
  const groups = Array.from({ length: steps }, () => new Map<string, number>());
  const own = new Array<number>(steps).fill(0);
  const all = new Array<number>(steps).fill(0);
  for (const r of rows) {
    const i = Math.floor((r.bucketStart - opts.startMs) / opts.stepMs);
    if (i < 0 || i >= steps || r.reads <= 0) continue;
    all[i]! += r.reads;
    if (r.shardletId !== opts.shardletId) continue;
    own[i]! += r.reads;
    // Clients are named per group: the same name in two groups is two readers.
    clients[i]!.add(`${r.clientGroup}\u0000${r.client}`);
    const g = groups[i]!;
    g.set(r.clientGroup, (g.get(r.clientGroup) ?? 0) + r.reads);
  }
  const out: ClientActivityFeatures = { distinctClients: [], distinctGroups: [], readShare: [], topGroupShare: [] };
  for (let i = 0; i < steps; i++) {
    out.distinctClients.push(clients[i]!.size);
    out.distinctGroups.push(groups[i]!.size);
    out.readShare.push(all[i]! > 0 ? own[i]! / all[i]! : 0);
    let top = 0;
    for (const v of groups[i]!.values()) if (v > top) top = v;
    out.topGroupShare.push(own[i]! > 0 ? top / own[i]! : 0);
  }
  return out;
}

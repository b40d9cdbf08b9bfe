/**
 * Notices, from the bytes this edge wrote, when a shardlet has probably crossed its split
 * threshold, so the worker's manager scans now instead of at its next period. Sizes come from the
 * routing refresh (the worker's accounting); this only adds what this edge wrote since.
 */
export class ThresholdWatch {
  private readonly written = new Map<string, number>();
  private readonly reported = new Map<string, number>();
  private readonly loads = new Map<string, { sizeBytes: number; capacityBytes: number }>();
  private readonly idsByStream = new Map<string, string[]>();

  constructor(
    private readonly report: (shardletId: string) => void,
    private readonly opts: { threshold: () => number; quietMs: number; clock?: () => number },
  ) {}

  /** New sizes from the control database: this edge's own count starts again from zero. */
  setLoads(streamId: string, loads: ReadonlyArray<{ id: string; sizeBytes: number; capacityBytes: number }>): void {
    // Forget shardlets that are gone (split, merged), so the maps stay the size of the live set.
    for (const id of this.idsByStream.get(streamId) ?? []) {
      this.loads.delete(id);
      this.written.delete(id);
      this.reported.delete(id);
    }
    this.idsByStream.set(streamId, loads.map((l) => l.id));
    for (const l of loads) {
      this.loads.set(l.id, { sizeBytes: l.sizeBytes, capacityBytes: l.capacityBytes });
    }
  }

  add(shardletId: string, bytes: number): void {
    const load = this.loads.get(shardletId);
    if (!load || load.capacityBytes <= 0) return;
    const total = (this.written.get(shardletId) ?? 0) + bytes;
    this.written.set(shardletId, total);
    if ((load.sizeBytes + total) / load.capacityBytes < this.opts.threshold()) return;
    const now = (this.opts.clock ?? Date.now)();
    const last = this.reported.get(shardletId);
    if (last !== undefined && now - last < this.opts.quietMs) return;
    this.reported.set(shardletId, now);
    this.report(shardletId);
  }
}

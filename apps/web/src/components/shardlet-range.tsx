interface HexRange {
  loHex: string;
  lastHex: string;
}

/** "0x…–0x…"; a shardlet whose range is no longer known (retired and pruned) goes by its id's tail. */
export const rangeLabel = (range: HexRange | null, id: string) => (range ? `${range.loHex}–${range.lastHex}` : `…${id.slice(-8)}`);

/** The first lines of a shardlet cell: its hash range, the stream under it. */
export function ShardletRange({ range, id, stream, title }: { range: HexRange | null; id: string; stream: string; title: string }) {
  return (
    <>
      <span className="mono nowrap" title={title}>
        {rangeLabel(range, id)}
      </span>
      <span className="lineage">{stream}</span>
    </>
  );
}

import { refLabel, type ShardletRef } from "./shardlet-refs.ts";

/** A shardlet by its key-hash range, its id underneath for whoever has to look it up in logs. */
export function ShardletCell({ shardlet }: { shardlet: ShardletRef }) {
  return (
    <>
      <span className="mono nowrap" title={`shardlet ${shardlet.id}`} data-testid="shardlet-range">
        {refLabel(shardlet)}
      </span>
      <span className="lineage mono" data-testid="shardlet-id">
        …{shardlet.id.slice(-8)}
      </span>
    </>
  );
}

import type { ReactNode } from "react";
import type { ColumnSpec } from "../../../components/data-table-columns.tsx";
import { ShardletRange } from "../../../components/shardlet-range.tsx";
import type { Migration } from "./types.ts";

const labelAndId = (m: Migration) => `${m.shardletLabel} (${m.shardletId})`;

/**
 * The first column of the migration tables: the shardlet's range and stream, sorted by where the
 * range lies, then the lines each table adds under them.
 */
export function shardletColumn(header: string, below: (m: Migration) => ReactNode, title: (m: Migration) => string = labelAndId): ColumnSpec<Migration> {
  return {
    id: "shardlet",
    header,
    sortBy: (m) => m.range?.lo,
    cell: (m) => (
      <>
        <ShardletRange range={m.range} id={m.shardletId} stream={m.streamName} title={title(m)} />
        {below(m)}
      </>
    ),
  };
}

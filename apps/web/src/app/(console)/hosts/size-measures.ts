import { formatBytes } from "../../../lib/format.ts";

/**
 * The two sizes the Overview, Hosts and Shard map pages show. They measure different things and
 * differ by design (a host's database is several times its events' own bytes), so each figure
 * carries the same short label and tooltip wherever it appears.
 */
export const SIZE_MEASURES = {
  onDisk: {
    label: "On disk",
    title:
      "The host database's size on disk, as PostgreSQL reports it: the events with their indexes, the overflow log, bookkeeping tables and space not yet reclaimed. A host's fullness compares this with its capacity.",
  },
  eventData: {
    label: "Event data",
    title:
      "The events' own bytes as written (payload JSON, key, type and id), as the shardlets account them; a total sums the shardlets that take writes (not those a split or merge is still preparing, whose rows are their sources'). No indexes or storage overhead, so it is less than the hosts' size on disk. A shardlet's fullness, and so its split, compares this with the shardlet's capacity.",
  },
} as const;

export type SizeMeasure = keyof typeof SIZE_MEASURES;

/** "1.2 MiB event data": a size that names its measure where no column header does. */
export function sizeText(bytes: number, measure: SizeMeasure): string {
  return `${formatBytes(bytes)} ${SIZE_MEASURES[measure].label.toLowerCase()}`;
}

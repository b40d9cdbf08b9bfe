import type { LifecycleSettings } from "@shardcast/core/lifecycle/settings";
import { formatBytes, formatNumber } from "./format.ts";

export type LifecycleField = keyof LifecycleSettings;

export const KIB = 1024;
export const MIB = 1024 * KIB;

/** Labels the settings form and the audit list share. */
export const FIELD_LABELS: Record<LifecycleField, string> = {
  enabled: "Automatic splits and merges",
  initialCapacityBytes: "Initial shardlet capacity",
  splitThreshold: "Split threshold",
  splitWriteRate: "Split write rate",
  mergeThreshold: "Merge threshold",
  mergeWriteRate: "Merge write rate",
  minShardletWidth: "Minimum shardlet width",
  maxShardletsPerStream: "Shardlets per stream (max)",
};

/** One stored value as the audit list shows it. */
export function formatSettingValue(field: string, value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "on" : "off";
  if (typeof value !== "number") return JSON.stringify(value);
  switch (field as LifecycleField) {
    case "initialCapacityBytes":
      return formatBytes(value);
    case "splitThreshold":
    case "mergeThreshold":
      return `${value} (${Math.round(value * 1000) / 10}%)`;
    case "splitWriteRate":
    case "mergeWriteRate":
      return `${formatNumber(value)} events/s`;
    case "minShardletWidth":
      return `${formatNumber(value)} hashes`;
    default:
      return formatNumber(value);
  }
}

export function fieldLabel(field: string): string {
  return (FIELD_LABELS as Record<string, string>)[field] ?? field;
}

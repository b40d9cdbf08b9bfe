/**
 * Sizes and durations as operators read them, in the planners' reasons, alert messages and the
 * console alike: one wording everywhere, so the same quantity never reads two ways on one screen.
 * Locale-independent, so the text (and the tests that pin it) do not change with the machine.
 */

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** Binary units with their IEC names, since the sizes are powers of two: 512 B, 64 KiB, 1.5 MiB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return "0 B";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = value >= 100 || unit === 0 ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, "");
  return `${text} ${BYTE_UNITS[unit]}`;
}

function twoUnits(big: number, bigName: string, small: number, smallName: string): string {
  return small === 0 ? `${big} ${bigName}` : `${big} ${bigName} ${small} ${smallName}`;
}

/**
 * At most two units, the smaller truncated rather than rounded up so a duration never reads longer
 * than it is: 850 ms, 4.2 s, 45 s, 3 min 12 s, 2 h 10 min, 2 d 4 h. "unknown" for a duration that
 * cannot be computed (a rate of zero gives Infinity).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "unknown";
  // "0 s" rather than "0 ms": nothing left reads the same whatever the unit of the caller.
  if (Math.round(ms) === 0) return "0 s";
  if (Math.round(ms) < 1_000) return `${Math.round(ms)} ms`;
  // Tenths below 10 s, where a whole second is a large share of the duration.
  if (Math.round(ms / 100) < 100) return `${(Math.round(ms / 100) / 10).toFixed(1).replace(/\.0$/, "")} s`;
  const s = Math.round(ms / 1_000);
  if (s < 60) return `${s} s`;
  if (s < 3_600) return twoUnits(Math.floor(s / 60), "min", s % 60, "s");
  const min = Math.floor(s / 60);
  if (min < 24 * 60) return twoUnits(Math.floor(min / 60), "h", min % 60, "min");
  const h = Math.floor(min / 60);
  return twoUnits(Math.floor(h / 24), "d", h % 24, "h");
}

/** Longest client or group label kept. */
export const CLIENT_LABEL_MAX_LENGTH = 64;
/** Group of readers that send none. */
export const DEFAULT_CLIENT_GROUP = "default";
/** Label that stands for every client past the cardinality cap. */
export const OTHER_CLIENT_LABEL = "_other";

/**
 * A client or group label from a request header: trimmed, characters outside letters, digits and
 * `._:@/+-` replaced by `_`, cut to `maxLength`. Null when nothing usable is left.
 */
export function sanitizeLabel(raw: string | null | undefined, maxLength = CLIENT_LABEL_MAX_LENGTH): string | null {
  if (raw === null || raw === undefined) return null;
  const cleaned = raw.trim().slice(0, maxLength).replace(/[^A-Za-z0-9._:@/+-]/g, "_");
  return cleaned.length > 0 && !/^_+$/.test(cleaned) ? cleaned : null;
}

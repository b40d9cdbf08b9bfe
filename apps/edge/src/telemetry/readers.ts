import type { IncomingHttpHeaders } from "node:http";
import { DEFAULT_CLIENT_GROUP, sanitizeLabel } from "@shardcast/core";
import type { ReaderIdentity } from "./counters.ts";

export const CLIENT_HEADER = "x-shardcast-client";
export const CLIENT_GROUP_HEADER = "x-shardcast-client-group";

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Who is reading, for telemetry: the client and group headers when they carry a usable label, else
 * the API key's name and `group` (a consumer group's poll passes its group's name: groups sharing
 * one key are then told apart, in the console's readers and in where each one's next read
 * starts), else the default group. Labels are sanitized and cut (they become row keys).
 */
export function readerIdentity(headers: IncomingHttpHeaders, keyName: string, group?: string): ReaderIdentity {
  return {
    client: sanitizeLabel(header(headers, CLIENT_HEADER)) ?? sanitizeLabel(keyName) ?? "unknown",
    group: sanitizeLabel(header(headers, CLIENT_GROUP_HEADER)) ?? sanitizeLabel(group) ?? DEFAULT_CLIENT_GROUP,
  };
}

import { redactSecrets } from "@shardcast/core";

/** A driver error's message with every DSN in it redacted. */
export function safeMessage(err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  return redactSecrets(text);
}

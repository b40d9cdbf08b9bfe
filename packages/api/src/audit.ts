import { recordOperation, type NewOperation } from "@shardcast/db";
import type { ApiContext, SessionUser } from "./context.ts";

/**
 * Writes a console action to the operations log. The action already happened, so a failure to
 * log it is reported in the server log instead of failing the request.
 */
export async function audit(
  ctx: Pick<ApiContext, "db" | "log"> & { user: SessionUser },
  op: Omit<NewOperation, "actor" | "status"> & { status?: NewOperation["status"] },
): Promise<void> {
  await auditAs(ctx, ctx.user.email, op);
}

/** `audit` for actions of someone not signed in (yet): sign-in and first-run setup. */
export async function auditAs(
  ctx: Pick<ApiContext, "db" | "log">,
  actor: string | null,
  op: Omit<NewOperation, "actor" | "status"> & { status?: NewOperation["status"] },
): Promise<void> {
  try {
    await recordOperation(ctx.db, { status: "succeeded", ...op, actor });
  } catch (err) {
    ctx.log.warn("operation not recorded", { kind: op.kind, error: err });
  }
}

/** The operations-log line of a settings save: every changed field with its old and new value. */
export function settingsChangeMessage(label: string, changes: ReadonlyArray<{ field: string; old: unknown; new: unknown }>): string {
  if (changes.length === 0) return `saved ${label} settings (no change)`;
  return `changed ${label} settings: ${changes.map((c) => `${c.field} ${JSON.stringify(c.old)} -> ${JSON.stringify(c.new)}`).join(", ")}`.slice(0, 1000);
}

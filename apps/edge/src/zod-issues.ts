import type { z } from "zod";
import { ShardcastError, type ErrorCode } from "@shardcast/core";

export interface InputIssue {
  path: string;
  message: string;
}

/** A zod failure's fields as the edge's answers list them. */
export function zodIssues(err: z.ZodError): InputIssue[] {
  return err.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

/**
 * A refused input as the edge's answers describe it, for REST bodies, hints and tRPC input alike:
 * every field in `details.issues`, the first one in the message after `lead`.
 */
export function issuesError(code: ErrorCode, lead: string, issues: InputIssue[], fallback: string): ShardcastError {
  const first = issues[0];
  return new ShardcastError(code, `${lead}${first?.path ? `${first.path}: ` : ""}${first?.message ?? fallback}`, { issues });
}

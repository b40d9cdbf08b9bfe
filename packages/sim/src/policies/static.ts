import { emptyDecision, type Policy } from "../engine/types.ts";

/** Static hashing: the initial layout forever. No split, merge or move. */
export function staticPolicy(): Policy {
  return { name: "static", decide: () => emptyDecision() };
}

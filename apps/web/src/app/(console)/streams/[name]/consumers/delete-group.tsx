"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ErrorNote } from "../../../../../components/ui.tsx";
import { useCan } from "../../../../../components/user-context.tsx";
import { useTRPC } from "../../../../../lib/trpc.ts";

/**
 * Deleting a group (operators): its members, assignments, positions and checkpoints go. The edge
 * refuses while members are live, since they would just join again; "even with live members"
 * deletes anyway.
 */
export function DeleteGroup({ stream, group, onDeleted }: { stream: string; group: string; onDeleted: (message: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canOperate = useCan("operator");
  const [force, setForce] = useState(false);
  const remove = useMutation(
    trpc.consumers.deleteGroup.mutationOptions({
      onSuccess: async (gone) => {
        await queryClient.invalidateQueries({ queryKey: trpc.consumers.groups.queryKey({ stream }) });
        onDeleted(`Deleted group ${gone.group}: ${count(gone.members, "member")}, ${count(gone.shardlets, "assignment")} and ${count(gone.checkpoints, "checkpoint")} removed.`);
      },
    }),
  );
  if (!canOperate) return null;
  return (
    <div className="stack" data-testid="delete-group-box">
      <ErrorNote error={remove.error} testId="delete-group-error" />
      <div className="form-row" style={{ alignItems: "center" }}>
        <label className="checkbox">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} data-testid="delete-group-force" /> even with live members
        </label>
        <button
          type="button"
          className="danger small"
          disabled={remove.isPending}
          onClick={() => {
            if (window.confirm(`Delete consumer group "${group}"? Its committed positions and checkpoints are lost; a member joining again starts a new group.`)) {
              remove.mutate({ stream, group, force });
            }
          }}
          data-testid="delete-group"
        >
          {remove.isPending ? "Deleting…" : "Delete group"}
        </button>
      </div>
    </div>
  );
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

"use client";
import { useState } from "react";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { formatBytes, formatDateTime, formatDuration, formatRate } from "../../../lib/format.ts";

export type CapacityProposalPlan = NonNullable<inferRouterOutputs<AppRouter>["analyzer"]["proposals"]["proposals"][number]["plan"]>;

const secs = (s: number) => formatDuration(s * 1000);

/** The capacity plan's figures on an add_host or drain_host proposal: when, how long, how many bytes. */
export function CapacityPlanFigures({ plan }: { plan: CapacityProposalPlan }) {
  if (plan.kind === "add_host") {
    return (
      <span className="chips" data-testid="proposal-plan" data-kind="add_host">
        <span className="chip">
          {plan.count === 1 ? "one host" : `${plan.count} hosts`}
          {plan.peak !== null ? (
            <>
              {" "}
              for <b>{formatRate(plan.peak)}</b>
            </>
          ) : null}
        </span>
        <span className={`chip${plan.late ? " error-text" : ""}`} title="When to ask for the host so it is registered and filled in time">
          ask by <b>{formatDateTime(plan.startByMs)}</b>
          {plan.late ? " (late)" : ""}
        </span>
        <span className="chip">
          needed by <b>{formatDateTime(plan.needByMs)}</b>
        </span>
        <span className="chip" title="Provisioning, copying the new host's share at the copy budget, and the margin">
          lead <b>{secs(plan.leadSec)}</b>
        </span>
        <span className="chip">
          fill <b>{formatBytes(plan.fillBytes)}</b>
        </span>
      </span>
    );
  }
  return (
    <span className="chips" data-testid="proposal-plan" data-kind="drain_host">
      <span className="chip">
        moves <b>{formatBytes(plan.bytes)}</b> in <b>{secs(plan.drainSec)}</b>
      </span>
      <span className="chip">
        trough ends <b>{formatDateTime(plan.troughEndsMs)}</b>
      </span>
      <span className="chip">
        saves <b>{secs(plan.savingSec)}</b> of host time
      </span>
    </span>
  );
}

/**
 * Approving a drain moves every shardlet off a host and retires it, so it takes a second click:
 * the first one asks, naming the host.
 */
export function ApproveDrainButton({ hostName, disabled, onConfirm }: { hostName: string; disabled: boolean; onConfirm: () => void }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className="small" disabled={disabled} onClick={() => setAsking(true)} data-testid="proposal-approve-drain">
        Approve: drain host
      </button>
    );
  }
  return (
    <span className="row-actions" role="group" aria-label={`Confirm draining ${hostName}`} data-testid="proposal-drain-confirm">
      <span className="muted" style={{ fontSize: 12 }}>
        Move every shardlet off {hostName} and retire it?
      </span>
      <button
        type="button"
        className="small danger"
        disabled={disabled}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
        data-testid="proposal-drain-confirm-yes"
      >
        Drain {hostName}
      </button>
      <button type="button" className="secondary small" onClick={() => setAsking(false)} data-testid="proposal-drain-confirm-no">
        Keep it
      </button>
    </span>
  );
}

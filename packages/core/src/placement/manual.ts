import { formatBytes } from "../format.ts";
import { fmtRate } from "./format.ts";
import { bandwidthCheck, buildModel, headroomCheck, shardletLabel, windowCheck } from "./model.ts";
import type { RebalanceInput } from "./rebalance.ts";
import type { MoveProposal } from "./types.ts";

export interface ManualMoveResult {
  /** The move with its expected load and feasibility; null when it cannot even be described. */
  proposal: MoveProposal | null;
  /** Why the move must not be made (empty when it may). */
  problems: string[];
}

/**
 * An operator's "move shardlet S to host H": the expected load and the feasibility checks the
 * rebalancer would apply. Hysteresis, cool-down and the minimum benefit do not apply (the operator
 * decides); a destination without headroom, an inactive shardlet or destination, or a shardlet
 * already being moved does.
 */
export function planManualMove(input: RebalanceInput, shardletId: string, destHostId: string, actor?: string): ManualMoveResult {
  const { settings, now } = input;
  const s = input.shardlets.find((x) => x.id === shardletId);
  if (!s) return { proposal: null, problems: [`Shardlet ${shardletId} is not live (retired, or never existed).`] };
  const model = buildModel(input);
  const src = model.hosts.get(s.hostId);
  const dest = model.hosts.get(destHostId);
  if (!src) return { proposal: null, problems: [`The shardlet's host ${s.hostId} is not registered.`] };
  if (!dest) return { proposal: null, problems: [`Host ${destHostId} is not registered.`] };
  const label = shardletLabel(s, input.labels);
  if (dest === src) return { proposal: null, problems: [`${label} is already on ${dest.label}.`] };

  const problems: string[] = [];
  if (s.state !== "active") problems.push(`${label} is ${s.state}; only an active shardlet can move.`);
  if (input.inFlight?.has(s.id) || input.inFlightMoves?.has(s.id)) problems.push(`${label} is already being moved.`);
  if (dest.host.status !== "active") problems.push(`${dest.label} is ${dest.host.status}; moves go only to active hosts.`);
  if (src.host.status === "down") problems.push(`${src.label} is down: its data cannot be copied now.`);

  const load = Math.max(0, s.load);
  const bytes = Math.max(0, s.sizeBytes);
  // A shardlet counted on its destination by an in-flight move is not on the source any more.
  const srcBefore = src.load;
  const destBefore = dest.load;
  const headroom = headroomCheck(dest, destBefore + load, dest.bytes + bytes, settings);
  if (!headroom.ok) problems.push(`${dest.label} has no headroom for it: ${headroom.detail}.`);
  const proposal: MoveProposal = {
    shardletId: s.id,
    streamId: s.streamId,
    sourceHostId: src.host.id,
    destHostId: dest.host.id,
    reason:
      `Requested${actor ? ` by ${actor}` : ""}: move ${label} (${fmtRate(load)}, ${formatBytes(bytes)}) from ${src.label} ` +
      `(${fmtRate(srcBefore)} -> ${fmtRate(Math.max(0, srcBefore - load))}) to ${dest.label} (${fmtRate(destBefore)} -> ${fmtRate(destBefore + load)}).`,
    bytesToMove: bytes,
    expectedLoad: {
      [src.host.id]: { before: srcBefore, after: Math.max(0, srcBefore - load) },
      [dest.host.id]: { before: destBefore, after: destBefore + load },
    },
    benefit: Math.max(0, srcBefore - Math.max(srcBefore - load, destBefore + load)),
    feasibility: {
      headroom,
      bandwidth: bandwidthCheck(bytes, 0, settings),
      window: windowCheck(bytes, now, settings),
    },
  };
  return { proposal, problems };
}

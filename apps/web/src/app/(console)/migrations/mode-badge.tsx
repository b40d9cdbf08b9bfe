import type { Migration } from "./types.ts";

type Mode = Migration["mode"];

/** The two ways a shardlet moves, as the console names and explains them (the move form, badges and logs). */
export const MOVE_MODES_TEXT: Record<Mode, { label: string; help: string }> = {
  handoff: {
    label: "hand-off",
    help: "Moves the write load in seconds and copies no row: the history stays readable on the current host until the stream's retention drops it.",
  },
  copy: {
    label: "copy",
    help: "Moves the history too (shadow writes, chunked copy, verify, switch) at the copy budget: frees the host's storage and keeps the range in one place.",
  },
};

/** "hand-off" or "copy", the explanation on hover. */
export function ModeBadge({ mode }: { mode: Mode }) {
  return (
    <span className={`badge ${mode === "handoff" ? "badge-accent" : ""}`} title={MOVE_MODES_TEXT[mode].help} data-testid="migration-mode" data-mode={mode}>
      {MOVE_MODES_TEXT[mode].label}
    </span>
  );
}

import { createRouter } from "../../trpc.ts";
import { applyProposal } from "./apply-proposal.ts";
import { approveAddHost } from "./approve-add-host.ts";
import { approveDrainHost } from "./approve-drain-host.ts";
import { dismiss } from "./dismiss.ts";
import { modes } from "./modes.ts";
import { notes } from "./notes.ts";
import { proposals } from "./proposals.ts";
import { runNow } from "./run-now.ts";
import { runStatus } from "./run-status.ts";
import { setMode } from "./set-mode.ts";
import { settings } from "./settings.ts";
import { updateSettings } from "./update-settings.ts";

export const analyzerRouter = createRouter({ proposals, runNow, runStatus, dismiss, applyProposal, approveAddHost, approveDrainHost, modes, notes, setMode, settings, updateSettings });

import { createRouter } from "../../trpc.ts";
import { auditLog } from "./audit.ts";
import { get } from "./get.ts";
import { update } from "./update.ts";

export const settingsRouter = createRouter({ get, update, audit: auditLog });

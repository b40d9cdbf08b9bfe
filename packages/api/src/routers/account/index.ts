import { createRouter } from "../../trpc.ts";
import { changePassword } from "./change-password.ts";
import { signOutEverywhere } from "./sign-out-everywhere.ts";

/** What every signed-in user may do to their own account. */
export const accountRouter = createRouter({ changePassword, signOutEverywhere });

import { createRouter } from "../../trpc.ts";
import { me } from "./me.ts";
import { setupAdmin } from "./setup-admin.ts";
import { setupNeeded } from "./setup-needed.ts";
import { signIn } from "./sign-in.ts";
import { signOut } from "./sign-out.ts";

export const authRouter = createRouter({ signIn, signOut, me, setupNeeded, setupAdmin });

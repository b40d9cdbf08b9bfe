import { createRouter } from "../../trpc.ts";
import { adopt } from "./adopt.ts";
import { create } from "./create.ts";
import { list } from "./list.ts";
import { revoke } from "./revoke.ts";
import { setQuota } from "./set-quota.ts";

export const apikeysRouter = createRouter({ list, create, revoke, setQuota, adopt });

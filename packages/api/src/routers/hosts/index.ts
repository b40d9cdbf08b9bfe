import { createRouter } from "../../trpc.ts";
import { list } from "./list.ts";
import { register } from "./register.ts";
import { setCapacityOverride } from "./set-capacity-override.ts";

export const hostsRouter = createRouter({ list, register, setCapacityOverride });

import { createRouter } from "../../trpc.ts";
import { get } from "./get.ts";
import { list } from "./list.ts";
import { promote } from "./promote.ts";
import { retrain } from "./retrain.ts";
import { rollback } from "./rollback.ts";
import { status } from "./status.ts";

export const modelsRouter = createRouter({ list, get, status, retrain, promote, rollback });

import { router } from "./init.ts";
import { ingest } from "./procedures/ingest.ts";

export const edgeRouter = router({ ingest });
export type EdgeRouter = typeof edgeRouter;

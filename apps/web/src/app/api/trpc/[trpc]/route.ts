import { handleApiRequest } from "@shardcast/api/handler";
import { createContext } from "../../../../server/deps.ts";

export const dynamic = "force-dynamic";

function handler(req: Request): Promise<Response> {
  return handleApiRequest(req, createContext);
}

export { handler as GET, handler as POST };

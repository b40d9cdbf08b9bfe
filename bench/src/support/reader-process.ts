/** The cache suite's reader process (see page-reader.ts). */
import { serveRequests } from "./ipc-child.ts";
import { readFixedPages, readShardletPages, type ReaderRequest } from "./page-reader.ts";

serveRequests<ReaderRequest>((req) => (req.kind === "shardlet" ? readShardletPages(req) : readFixedPages(req.url, req.pages)));

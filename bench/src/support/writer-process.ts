/** The migration suite's range writer process (see range-writers.ts). */
import { serveRequests } from "./ipc-child.ts";
import { writerLoops, type WriterRequest } from "./range-writers.ts";

serveRequests<WriterRequest>(writerLoops());

import { z } from "zod";

// Zod probes `new Function` to compile parsers; the console's CSP forbids eval, and browsers
// report the probe as a violation even though Zod falls back. Parsing works the same without it.
z.config({ jitless: true });

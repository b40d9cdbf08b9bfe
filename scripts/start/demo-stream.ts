import { streamNameSchema } from "@shardcast/core";
import { z } from "zod";
import { DEMO_LEDGER_STREAM } from "../demo-ledger.ts";

const DEFAULT_DEMO_STREAM = "demo";

const schema = z.object({
  SHARDCAST_DEMO_STREAM: streamNameSchema
    .refine((name) => name !== DEMO_LEDGER_STREAM, `"${DEMO_LEDGER_STREAM}" is the demo ledger's own stream; name another`)
    .default(DEFAULT_DEMO_STREAM),
});

/**
 * The stream `npm start` creates for the demo, read from the environment its demo producer and
 * consumers are given: they take their stream from it, so the seeded one must be the same. An
 * empty value is refused rather than defaulted, because the demo scripts would take it as a name.
 */
export function demoStreamFrom(env: NodeJS.ProcessEnv): string {
  const parsed = schema.safeParse({ SHARDCAST_DEMO_STREAM: env.SHARDCAST_DEMO_STREAM });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new Error(`invalid configuration:\n${lines}`);
  }
  return parsed.data.SHARDCAST_DEMO_STREAM;
}

import { z } from "zod";
import { storableString } from "@shardcast/core";
import { MAX_HOST_EVENTS_PER_SEC, registerHost } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { hostSchema } from "../shared.ts";
import { hostView } from "./view.ts";

export const registerHostInput = z.object({
  name: z
    .string()
    .trim()
    .min(1, "enter a host name")
    .max(64, "host name is longer than 64 characters")
    .regex(/^[a-z0-9][a-z0-9._-]*$/, "host name may use a-z, 0-9, '.', '_' and '-' and must start with a letter or digit"),
  dsn: storableString
    .trim()
    .max(2048, "DSN is longer than 2048 characters")
    .regex(/^postgres(ql)?:\/\/\S+$/, "DSN must be a postgres:// or postgresql:// URL"),
  // Stored as a 64-bit integer, but read back as a JavaScript number: 2^53 - 1 bytes (8 PiB) at most.
  capacityBytes: z
    .number({ error: "capacity must be a number of bytes" })
    .positive("capacity must be positive")
    .max(Number.MAX_SAFE_INTEGER, "capacity must be at most 9,007,199,254,740,991 bytes (8 PiB)")
    .int("capacity must be a whole number of bytes")
    .optional(),
  capacityEventsPerSec: z
    .number({ error: "capacity must be a number of events/s" })
    .positive("capacity must be positive")
    // Stored in a 32-bit integer column.
    .max(MAX_HOST_EVENTS_PER_SEC, "capacity must be at most 2,147,483,647 events/s")
    .int("capacity must be a whole number of events/s")
    .optional(),
});
export const registerHostOutput = z.object({ host: hostSchema });

export const register = adminProcedure
  .input(registerHostInput)
  .output(registerHostOutput)
  .mutation(async ({ ctx, input }) => {
    const host = await registerHost(ctx.db, input, { actorId: ctx.user.id });
    await audit(ctx, { kind: "host.register", message: `registered storage host ${host.name}`, hostId: host.id });
    return { host: hostView(host) };
  });

import { z } from "zod";

/**
 * Consumer group and member names: what a service would call itself, safe in a URL and a log line.
 * The edge parses names in paths and bodies with it, and the console the groups an API key is
 * scoped to, so a scope can name every group a join can create.
 */
export const consumerNameSchema = z
  .string()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .regex(/^[A-Za-z0-9._:@+-]+$/, "may only contain letters, digits and . _ : @ + -");

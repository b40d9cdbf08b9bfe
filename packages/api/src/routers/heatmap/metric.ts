import { z } from "zod";

/** The rate a heatmap view shows: events written or events read per second. */
export const rateMetricSchema = z.enum(["writes", "reads"]);

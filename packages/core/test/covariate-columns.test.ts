import { describe, expect, it } from "vitest";
import { SHARDLET_COVARIATE_COLUMNS, selectCovariates, shardletCovariates } from "../src/features/index.ts";

describe("covariate columns", () => {
  const cov = shardletCovariates(
    {
      shardletId: "s1",
      lo: 0,
      hi: 100,
      load: [1, 2, 3, 4],
      streamLoad: [2, 4, 6, 8],
      hints: [{ lo: 0, hi: 100, eventsPerSec: 50, startsAt: 4 * 1000, endsAt: 6 * 1000 }],
    },
    { startMs: 0, stepMs: 1000, horizon: 2 },
  );

  it("names every non-calendar column shardletCovariates builds, in its order", () => {
    expect(cov.names.slice(4)).toEqual(SHARDLET_COVARIATE_COLUMNS.map((c) => c.name));
    expect(SHARDLET_COVARIATE_COLUMNS.filter((c) => c.known).map((c) => c.name)).toEqual(["hint_rate"]);
  });

  it("selects columns by name in the order asked, and refuses a name it does not have", () => {
    const rows = selectCovariates(cov, ["hint_rate", "popularity"]);
    expect(rows).toHaveLength(6);
    expect(rows.map((r) => r[0])).toEqual([0, 0, 0, 0, 50, 50]);
    // Popularity is observed: carried forward over the horizon.
    expect(rows.map((r) => r[1])).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(() => selectCovariates(cov, ["hint_rate", "weather"])).toThrow(/weather is not built/);
  });
});

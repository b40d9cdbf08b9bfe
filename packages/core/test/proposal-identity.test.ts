import { describe, expect, it } from "vitest";
import { materialChange, proposalFigures, proposalIdentity } from "../src/analyzer/proposal-identity.ts";

const at = 1_000_000_000;

describe("proposal identity", () => {
  it("is what the proposal does and to what, not its figures", () => {
    const move = { source: "analyzer", kind: "migrate", streamId: "s", shardletId: "x", sourceHostId: "a", destHostId: "b", details: { lo: 0, hi: 10, predictedPeak: 5 } };
    expect(proposalIdentity({ ...move, details: { lo: 0, hi: 10, predictedPeak: 50 } })).toBe(proposalIdentity(move));
    expect(proposalIdentity({ ...move, destHostId: "c" })).not.toBe(proposalIdentity(move));
    expect(proposalIdentity({ ...move, kind: "split", destHostId: null })).not.toBe(proposalIdentity(move));
    expect(proposalIdentity({ ...move, details: { lo: 0, hi: 5 } })).not.toBe(proposalIdentity(move));
    expect(proposalIdentity({ ...move, source: "orchestrator" })).not.toBe(proposalIdentity(move));
  });
});

describe("material change of a dismissed proposal", () => {
  const dismissed = proposalFigures({ urgencySec: 3600, expectedBenefit: 100, details: { predictedPeak: 300 } }, at);

  it("holds while the figures wander or improve", () => {
    expect(materialChange(dismissed, proposalFigures({ urgencySec: 3600, expectedBenefit: 140, details: { predictedPeak: 400 } }, at))).toBeNull();
    expect(materialChange(dismissed, proposalFigures({ urgencySec: 7200, expectedBenefit: 10, details: { predictedPeak: 30 } }, at))).toBeNull();
  });

  it("does not count the same deadline coming closer as time passes", () => {
    // Half an hour later the same forecast says 1,800 s: the same moment.
    expect(materialChange(dismissed, proposalFigures({ urgencySec: 1800, expectedBenefit: 100, details: { predictedPeak: 300 } }, at + 1_800_000))).toBeNull();
  });

  it("counts an overload predicted much sooner, or a benefit or load half as large again", () => {
    expect(materialChange(dismissed, proposalFigures({ urgencySec: 600, expectedBenefit: 100, details: { predictedPeak: 300 } }, at))).toMatch(/due in 600 s where the dismissed forecast left 3600 s/);
    expect(materialChange(dismissed, proposalFigures({ urgencySec: 3600, expectedBenefit: 160, details: { predictedPeak: 300 } }, at))).toMatch(/benefit rose from 100 to 160/);
    expect(materialChange(dismissed, proposalFigures({ urgencySec: 3600, expectedBenefit: 100, details: { predictedPeak: 600 } }, at))).toMatch(/load rose from 300 to 600/);
    const noDeadline = proposalFigures({ urgencySec: null, expectedBenefit: 100 }, at);
    expect(materialChange(noDeadline, proposalFigures({ urgencySec: 60, expectedBenefit: 100 }, at))).toMatch(/now has a deadline/);
  });
});

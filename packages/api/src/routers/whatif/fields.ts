import type { WhatIfSettings } from "@shardcast/sim";
import type { WhatIfFields } from "./schemas.ts";

/** The settings the what-if form shows (a subset of the lifecycle, rebalance and analyzer settings). */
export function whatIfFields(s: WhatIfSettings): WhatIfFields {
  return {
    lifecycle: {
      splitThreshold: s.lifecycle.splitThreshold,
      splitWriteRate: s.lifecycle.splitWriteRate,
      mergeThreshold: s.lifecycle.mergeThreshold,
      mergeWriteRate: s.lifecycle.mergeWriteRate,
    },
    rebalance: {
      tolerance: s.rebalance.tolerance,
      hysteresis: s.rebalance.hysteresis,
      cooldownSec: s.rebalance.cooldownSec,
      maxProposalsPerRun: s.rebalance.maxProposalsPerRun,
      minBenefitPerMB: s.rebalance.minBenefitPerMB,
    },
    analyzer: {
      hostLoadBound: s.analyzer.hostLoadBound,
      overloadFraction: s.analyzer.overloadFraction,
      minMoveBenefit: s.analyzer.minMoveBenefit,
      horizonSec: s.analyzer.horizonSec,
      copyBytesPerSec: s.analyzer.copyBytesPerSec,
    },
  };
}

import type { ForecastSkill } from "../forecast/skill.ts";
import { planCapacity, type CapacityInput, type CapacityPlan, type ScaleOutPlan } from "./plan.ts";

/**
 * Predict up, react down. The capacity plan takes the larger of the forecast's plan and the
 * reactive rule's (the observed load held flat), never drains on a forecast alone, and uses the
 * forecast only while its recent error beats the reactive rule's. A forecast that is worse than
 * holding the last actual adds nothing a reactive plan would not, and one that is better still
 * must not take away a host the load observed now needs. Pure: the worker's analyzer and the
 * simulator's hybrid policy both plan through it.
 *
 * `planCapacity` already counts the observed load as overdue when it adds and refuses a drain the
 * observed load does not allow, so today the gate is what changes the plan; the larger add and the
 * drain only with the reactive plan's are kept here as the rule itself, so a change to the
 * forecast plan cannot drop them unnoticed.
 */

/** Scored steps before a forecast can be preferred at all: the error tracker's own rolling window. */
export const SKILL_MIN_SCORED = 6;

export interface SkillVerdict {
  /** The forecast's plan is used beside the reactive one. */
  useForecast: boolean;
  /** Why, in words (the console shows it among the plan's notes). */
  reason: string;
  skill: ForecastSkill;
}

const num = (x: number) => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));

/** Whether the forecast beats the reactive rule over its recent steps (strictly lower mean absolute error). */
export function skillGate(skill: ForecastSkill, minScored = SKILL_MIN_SCORED): SkillVerdict {
  const { forecastMae: f, reactiveMae: r, scored } = skill;
  if (f === null || r === null || scored < minScored) {
    return { useForecast: false, reason: `the forecast has ${scored} scored steps against the observed load, fewer than ${minScored}: hosts follow the observed load`, skill };
  }
  const over = `over the last ${scored} steps the forecast missed by ${num(f)} events/s on average, holding the last observed load by ${num(r)}`;
  return f < r ? { useForecast: true, reason: `${over}: the forecast is used`, skill } : { useForecast: false, reason: `${over}: hosts follow the observed load`, skill };
}

/** The add that asks for more hosts sooner: the reactive one is due now, the forecast's when its start comes. */
function largerAdd(forecast: ScaleOutPlan | null, reactive: ScaleOutPlan | null, nowMs: number): ScaleOutPlan | null {
  if (!forecast) return reactive;
  if (!reactive) return forecast;
  const forecastDue = forecast.startByMs <= nowMs;
  return forecastDue && forecast.count >= reactive.count ? forecast : reactive;
}

/**
 * The hybrid plan. With the forecast gated out (or flagged untrusted by the error tracker) it is
 * the reactive plan. Otherwise hosts are added by whichever of the two plans asks for more now,
 * and the forecast's drain is made only when the reactive plan drains too.
 */
export function planHybridCapacity(input: CapacityInput, verdict: SkillVerdict): CapacityPlan {
  if (input.untrusted || !verdict.useForecast) {
    const reactive = planCapacity({ ...input, untrusted: input.untrusted ?? verdict.reason });
    return input.untrusted ? { ...reactive, notes: [verdict.reason, ...reactive.notes] } : reactive;
  }
  const forecast = planCapacity(input);
  const reactive = planCapacity({ ...input, untrusted: "held for comparison", upperFactor: 1 });
  const notes = [verdict.reason, ...forecast.notes];
  const add = largerAdd(forecast.add, reactive.add, input.nowMs);
  if (add && add === reactive.add && add !== forecast.add) notes.push(`the load observed now needs more hosts than the forecast plan asks for now: ${add.reason}`);
  let drain = add ? null : forecast.drain;
  if (drain && !reactive.drain) {
    notes.push(`the forecast would drain ${drain.hostId}, but the observed load does not allow it yet: no host is drained on a forecast alone`);
    drain = null;
  }
  const timeline = forecast.timeline.map((step, k) => ({ ...step, hostsNeeded: Math.max(step.hostsNeeded, reactive.timeline[k]?.hostsNeeded ?? 0) }));
  return { ...forecast, add, drain, timeline, notes };
}

/**
 * A forecast's recent skill against the reactive rule. The reactive rule plans on the load it
 * observes now held flat, so its implied forecast of the next step is the last actual; the
 * forecast earns its place only while its own error on the steps just past is lower.
 */

/** Absolute errors of one scored step: the forecast's and the reactive rule's (last actual held). */
export type SkillPair = [forecastError: number, reactiveError: number];

export interface ForecastSkill {
  /** Mean absolute error of the forecast over the scored steps (null: none scored). */
  forecastMae: number | null;
  /** Mean absolute error of the last actual held flat over the same steps. */
  reactiveMae: number | null;
  /** Steps scored in the window. */
  scored: number;
}

/** Adds a scored step to `pairs`, keeping the last `window`. */
export function pushSkill(pairs: SkillPair[], forecastError: number, reactiveError: number, window: number): void {
  pairs.push([forecastError, reactiveError]);
  // shift, not splice: this runs for every step of every series, and splice allocates.
  while (pairs.length > window) pairs.shift();
}

export function skillOf(pairs: readonly SkillPair[] | undefined): ForecastSkill {
  if (!pairs || pairs.length === 0) return { forecastMae: null, reactiveMae: null, scored: 0 };
  let f = 0;
  let r = 0;
  for (const [a, b] of pairs) {
    f += a;
    r += b;
  }
  return { forecastMae: f / pairs.length, reactiveMae: r / pairs.length, scored: pairs.length };
}

/**
 * Reading the corpus fills this much of every version's bar; its trainer's own fraction (0..1 of
 * the trainer's work) fills the rest. Trainers count from their own start, so their fractions must
 * be placed after the reading: an LSTM's "loading TensorFlow.js" at 2% of its work, reported as is,
 * came after the 3% that reading the corpus had already shown.
 */
export const READING_SHARE = 0.03;

/** Writes one version's fraction and note (may skip a write that is not forced; see progressOf). */
export type VersionProgressWriter = (id: string, fraction: number, note: string, force?: boolean) => Promise<void>;

export interface TrainingProgress {
  /** While the corpus is read: `fraction` of the reading, for every version of the run. */
  reading(fraction: number, note: string): Promise<void>;
  /** What a version's trainer reports, as a fraction of its own work. */
  trainer(id: string): (fraction: number, note: string) => Promise<void>;
  /** The version ended (finished or failed): its share of the job is done. */
  ended(id: string): void;
  /** One version's fraction so far. */
  of(id: string): number;
  /** The job's fraction: the mean of its versions' (each is a bar of its own in the console). */
  overall(): number;
}

/**
 * Progress of one training run, per version and for the job. Every reported fraction is at least
 * the one before: a trainer's estimates may be revised (the LSTM's epoch count once early stopping
 * picks it), and a bar or a job percentage that steps back reads as lost work.
 */
export function trainingProgress(ids: readonly string[], write: VersionProgressWriter): TrainingProgress {
  const fractions = new Map(ids.map((id) => [id, 0]));
  const set = (id: string, fraction: number, note: string, force?: boolean): Promise<void> => {
    const f = Math.max(fractions.get(id) ?? 0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
    fractions.set(id, f);
    return write(id, f, note, force);
  };
  return {
    async reading(fraction, note) {
      for (const id of ids) await set(id, READING_SHARE * Math.max(0, Math.min(1, fraction)), note, true);
    },
    trainer: (id) => (fraction, note) => set(id, READING_SHARE + (1 - READING_SHARE) * Math.max(0, Math.min(1, fraction)), note),
    ended(id) {
      fractions.set(id, 1);
    },
    of: (id) => fractions.get(id) ?? 0,
    overall() {
      if (fractions.size === 0) return 1;
      let sum = 0;
      for (const f of fractions.values()) sum += f;
      return sum / fractions.size;
    },
  };
}

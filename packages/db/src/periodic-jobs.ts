import type { ControlDb } from "./client.ts";

/** A periodic job's schedule and when a scheduled run of it last completed. */
export interface PeriodicJobInfo {
  name: string;
  everyMs: number;
  declaredAt: Date;
  lastCompletedAt: Date | null;
}

/** Records the schedules a worker declared (at start, or again after Redis lost them). */
export async function declarePeriodicJobs(db: ControlDb, jobs: ReadonlyArray<{ name: string; everyMs: number }>, at: Date = new Date()): Promise<void> {
  await db.$transaction(
    jobs.map((j) =>
      db.periodicJob.upsert({
        where: { name: j.name },
        create: { name: j.name, everyMs: j.everyMs, declaredAt: at },
        update: { everyMs: j.everyMs, declaredAt: at },
      }),
    ),
  );
}

/** Forgets a schedule that was turned off, so nobody is told it stopped running. */
export async function removePeriodicJob(db: ControlDb, name: string): Promise<void> {
  await db.periodicJob.deleteMany({ where: { name } });
}

/** A scheduled run of `name` completed at `at`; an older completion reported late changes nothing. */
export async function recordPeriodicRun(db: ControlDb, name: string, at: Date = new Date()): Promise<void> {
  await db.periodicJob.updateMany({
    where: { name, OR: [{ lastCompletedAt: null }, { lastCompletedAt: { lt: at } }] },
    data: { lastCompletedAt: at },
  });
}

export async function listPeriodicJobs(db: ControlDb): Promise<PeriodicJobInfo[]> {
  return db.periodicJob.findMany({ orderBy: { name: "asc" } });
}

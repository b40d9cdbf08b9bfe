-- CreateTable
CREATE TABLE "periodic_jobs" (
    "name" TEXT NOT NULL,
    "every_ms" INTEGER NOT NULL,
    "declared_at" TIMESTAMPTZ(3) NOT NULL,
    "last_completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "periodic_jobs_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "telemetry_rollups" (
    "batch_id" TEXT NOT NULL,
    "claimed_at" TIMESTAMP(3) NOT NULL,
    "applied_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "telemetry_rollups_pkey" PRIMARY KEY ("batch_id")
);

-- CreateIndex
CREATE INDEX "telemetry_rollups_claimed_at_idx" ON "telemetry_rollups"("claimed_at");

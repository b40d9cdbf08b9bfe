-- AlterTable
ALTER TABLE "analyzer_runs" ADD COLUMN     "capacity_plan" JSONB,
ADD COLUMN     "forecast_tracker" JSONB;

-- AlterTable
ALTER TABLE "hosts" ADD COLUMN     "retired_at" TIMESTAMP(3);

-- Read forecasts beside the write forecasts: a forecast point says which rate it forecasts.
ALTER TABLE "forecast_points" ADD COLUMN "metric" TEXT NOT NULL DEFAULT 'writes';
ALTER TABLE "forecast_points" DROP CONSTRAINT "forecast_points_pkey";
ALTER TABLE "forecast_points" ADD CONSTRAINT "forecast_points_pkey" PRIMARY KEY ("run_id", "shardlet_id", "metric", "bucket_start");

-- The per-shardlet read forecast error tracker (only the latest run keeps it) and what made each read forecast.
ALTER TABLE "analyzer_runs" ADD COLUMN "read_tracker" JSONB;
ALTER TABLE "analyzer_runs" ADD COLUMN "read_series_models" JSONB;

-- Each consumer group's read forecast of the run: { startMs, stepMs, groups: { groupId: { values, model } } }.
ALTER TABLE "analyzer_runs" ADD COLUMN "group_read_forecasts" JSONB;

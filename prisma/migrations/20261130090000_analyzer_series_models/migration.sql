-- What made each shardlet forecast of an analyzer run (the model chosen for the series, or the observed rate).
ALTER TABLE "analyzer_runs" ADD COLUMN "series_models" JSONB;

-- Members' latest telemetry and the processing rate assignment weighs them by.
ALTER TABLE "consumer_members" ADD COLUMN "telemetry" JSONB,
ADD COLUMN "telemetry_at" TIMESTAMP(3),
ADD COLUMN "capacity" DOUBLE PRECISION;

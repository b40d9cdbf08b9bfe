-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "produce_bytes_per_sec" INTEGER,
ADD COLUMN     "produce_events_per_sec" INTEGER,
ADD COLUMN     "read_bytes_per_sec" INTEGER,
ADD COLUMN     "read_events_per_sec" INTEGER;

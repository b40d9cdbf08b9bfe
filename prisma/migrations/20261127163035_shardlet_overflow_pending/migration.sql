-- AlterTable
ALTER TABLE "shardlets" ADD COLUMN     "overflow_pending" BOOLEAN NOT NULL DEFAULT false;

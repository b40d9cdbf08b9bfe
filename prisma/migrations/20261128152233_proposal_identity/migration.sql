-- AlterTable
ALTER TABLE "analyzer_proposals" ADD COLUMN     "identity" TEXT,
ADD COLUMN     "seen_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateIndex
CREATE INDEX "analyzer_proposals_identity_status_idx" ON "analyzer_proposals"("identity", "status");

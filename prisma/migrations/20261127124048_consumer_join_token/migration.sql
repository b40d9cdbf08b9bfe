-- AlterTable
ALTER TABLE "consumer_members" ADD COLUMN     "join_token" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "consumer_members_group_id_api_key_id_join_token_key" ON "consumer_members"("group_id", "api_key_id", "join_token");

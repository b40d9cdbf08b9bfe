-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "consumer_groups" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "consumer_members" ADD COLUMN     "api_key_id" TEXT;

-- AddForeignKey
ALTER TABLE "consumer_members" ADD CONSTRAINT "consumer_members_api_key_id_fkey" FOREIGN KEY ("api_key_id") REFERENCES "api_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

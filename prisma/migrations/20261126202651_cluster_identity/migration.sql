-- CreateTable
CREATE TABLE "cluster_identity" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "cluster_id" UUID NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cluster_identity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dead_letters" (
    "id" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "detail" TEXT NOT NULL,
    "origin_topic" TEXT NOT NULL,
    "origin_partition" INTEGER NOT NULL,
    "origin_offset" BIGINT NOT NULL,
    "consumer_group" TEXT NOT NULL,
    "failed_at" TIMESTAMPTZ(3) NOT NULL,
    "message_key" BYTEA,
    "message_value" BYTEA,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "replay_count" INTEGER NOT NULL DEFAULT 0,
    "indexed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dead_letter_replays" (
    "id" BIGSERIAL NOT NULL,
    "dead_letter_id" TEXT NOT NULL,
    "replayed_at" TIMESTAMPTZ(3) NOT NULL,
    "replayed_by" TEXT NOT NULL,
    "forced" BOOLEAN NOT NULL,

    CONSTRAINT "dead_letter_replays_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "dead_letters_consumer_group_failed_at_idx" ON "dead_letters"("consumer_group", "failed_at");

-- CreateIndex
CREATE INDEX "dead_letter_replays_dead_letter_id_idx" ON "dead_letter_replays"("dead_letter_id");

-- AddForeignKey
ALTER TABLE "dead_letter_replays" ADD CONSTRAINT "dead_letter_replays_dead_letter_id_fkey" FOREIGN KEY ("dead_letter_id") REFERENCES "dead_letters"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

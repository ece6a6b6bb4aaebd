-- CreateIndex
CREATE INDEX "inbox_processed_at_idx" ON "inbox"("processed_at");

-- CreateIndex
CREATE INDEX "order_requests_created_at_idx" ON "order_requests"("created_at");

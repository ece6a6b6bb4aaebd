-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "cancelled_by" TEXT,
ADD COLUMN     "rejection_detail" TEXT;

-- Orders decided before these columns existed: what their own history says, else (a cancelled
-- order with no history line) its customer, as the service assumed until now.
UPDATE "orders" AS o
   SET "rejection_detail" = t."payload"->>'detail'
  FROM "order_timeline" AS t
 WHERE o."status" = 'REJECTED' AND t."order_id" = o."id"
   AND t."event_type" = 'OrderRejected' AND t."direction" = 'EMITTED';

UPDATE "orders" AS o
   SET "cancelled_by" = t."payload"->>'cancelledBy'
  FROM "order_timeline" AS t
 WHERE o."status" = 'CANCELLED' AND t."order_id" = o."id"
   AND t."event_type" = 'OrderCancelled' AND t."direction" = 'EMITTED';

UPDATE "orders" SET "cancelled_by" = "customer_id" WHERE "status" = 'CANCELLED' AND "cancelled_by" IS NULL;

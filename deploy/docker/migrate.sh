#!/bin/sh
# One-shot start-up task of a stocksaga deployment (compose service `migrate`, Kubernetes Job
# `stocksaga-migrate`). Run before the services start; safe to run again at any time:
#   1. `npm run db:migrate`: creates stocksaga_order / stocksaga_inventory when missing and applies
#      the committed Prisma migrations (ORDER_DATABASE_URL, INVENTORY_DATABASE_URL);
#   2. `npm run schemas:register`: registers every Avro schema under its subject with
#      FULL_TRANSITIVE compatibility (SCHEMA_REGISTRY_URL), refusing incompatible changes;
#   3. when KAFKA_BROKERS is set: creates the missing topics with the settings of
#      packages/contracts (topicsToCreate), replicated for STOCKSAGA_KAFKA_BROKER_COUNT brokers.
set -eu

for variable in ORDER_DATABASE_URL INVENTORY_DATABASE_URL SCHEMA_REGISTRY_URL; do
  eval "value=\${$variable:-}"
  if [ -z "$value" ]; then
    echo "migrate: $variable is not set" >&2
    exit 2
  fi
done

echo "migrate: applying database migrations"
npm run db:migrate

echo "migrate: registering Avro schemas"
npm run schemas:register

if [ -n "${KAFKA_BROKERS:-}" ]; then
  echo "migrate: creating missing Kafka topics"
  npm run kafka:topics --workspace=@stocksaga/deploy
fi

echo "migrate: done"

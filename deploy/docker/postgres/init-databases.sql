-- Run once by the postgres image on an empty data directory (/docker-entrypoint-initdb.d).
-- One database per owner: each service has its own, and the schema registry keeps its SQL
-- storage in a third. `npm run db:migrate` would create the service databases too; creating
-- them here makes the stack's layout visible in one place.
CREATE DATABASE stocksaga_order;
CREATE DATABASE stocksaga_inventory;
CREATE DATABASE stocksaga_registry;

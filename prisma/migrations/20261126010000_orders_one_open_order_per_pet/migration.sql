-- ---------------------------------------------------------------------------
-- Raw SQL: a partial index (Prisma's schema language has no WHERE clause for
-- indexes), so schema.prisma does not declare it. Listed in
-- ../sql-only-objects.json for the schema drift test.
-- No semicolon may appear in these comments (adapter-pg splits scripts at them).
-- ---------------------------------------------------------------------------

-- CreateIndex (raw): createOrder reserves a pet with a conditional UPDATE, so at
-- most one open (pending or confirmed) order holds a pet. This index makes the
-- database refuse a second open order for a pet even if application code ever
-- got that wrong: no pet is sold twice.
CREATE UNIQUE INDEX "orders_one_open_order_per_pet" ON "orders" ("pet_id") WHERE "status" IN ('pending', 'confirmed');

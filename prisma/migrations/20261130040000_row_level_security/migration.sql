-- The second wall of tenant isolation (the first is src/db/tenant-scope.ts): PostgreSQL
-- row-level security. Request queries run, inside a transaction, as the role
-- "testapp_tenant" (SET LOCAL ROLE) with the customer in the transaction-local setting
-- "app.customer_id"; see src/db/row-level-security.ts. The role owns nothing and is not a
-- superuser, and every policy is FORCEd, so even the tables' owner obeys them. A missing
-- setting (NULL, or '' once a transaction has reset it) matches no row: a query that forgets
-- the tenant returns nothing. System code (migrations, seed, authentication, jobs) keeps
-- running as the owner outside that role.

-- Roles are cluster-wide on PostgreSQL: another database of the same server may have made it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'testapp_tenant') THEN
    BEGIN
      CREATE ROLE testapp_tenant NOLOGIN NOSUPERUSER NOINHERIT NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      -- Another database on this server migrated at the same moment and made it first.
      NULL;
    END;
  END IF;
  -- The migrating (= connecting) role must be allowed to SET ROLE to it; a superuser already is.
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND rolsuper) THEN
    EXECUTE format('GRANT testapp_tenant TO %I', current_user);
  END IF;
END
$$;

CREATE FUNCTION "current_customer_id"() RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('app.customer_id', true), '')::uuid $$;

GRANT USAGE ON SCHEMA public TO testapp_tenant;
GRANT EXECUTE ON FUNCTION "current_customer_id"() TO testapp_tenant;
GRANT SELECT, UPDATE ON "Customer" TO testapp_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON "User", "Record", "Attachment", "CollectionJob" TO testapp_tenant;

ALTER TABLE "Customer" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Customer" FORCE ROW LEVEL SECURITY;
ALTER TABLE "User" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "User" FORCE ROW LEVEL SECURITY;
ALTER TABLE "Record" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Record" FORCE ROW LEVEL SECURITY;
ALTER TABLE "Attachment" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Attachment" FORCE ROW LEVEL SECURITY;
ALTER TABLE "CollectionJob" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "CollectionJob" FORCE ROW LEVEL SECURITY;

-- The tenant role sees and writes one customer's rows.
CREATE POLICY "tenant_isolation" ON "Customer" TO testapp_tenant
  USING ("id" = "current_customer_id"()) WITH CHECK ("id" = "current_customer_id"());
CREATE POLICY "tenant_isolation" ON "User" TO testapp_tenant
  USING ("customerId" = "current_customer_id"()) WITH CHECK ("customerId" = "current_customer_id"());
CREATE POLICY "tenant_isolation" ON "Record" TO testapp_tenant
  USING ("customerId" = "current_customer_id"()) WITH CHECK ("customerId" = "current_customer_id"());
CREATE POLICY "tenant_isolation" ON "Attachment" TO testapp_tenant
  USING ("customerId" = "current_customer_id"()) WITH CHECK ("customerId" = "current_customer_id"());
CREATE POLICY "tenant_isolation" ON "CollectionJob" TO testapp_tenant
  USING ("customerId" = "current_customer_id"()) WITH CHECK ("customerId" = "current_customer_id"());

-- The owner (the role running this migration: later migrations, seed, authentication, jobs)
-- stays unrestricted. FORCE subjects the owner to policies, so it gets its own; it is named
-- with TO rather than "current_user <> ..." so the tenant's policy stays a plain indexable
-- condition. A superuser bypasses row-level security anyway.
DO $$
DECLARE
  tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['Customer', 'User', 'Record', 'Attachment', 'CollectionJob'] LOOP
    EXECUTE format('CREATE POLICY "owner_access" ON %I TO %I USING (true) WITH CHECK (true)', tbl, current_user);
  END LOOP;
END
$$;

-- Tells every process listening on this database that a user changed or went away, so that
-- caches of verified users (src/auth/user-cache.ts) drop it at once: a disabled user is
-- refused by the next request, in every instance. NOTIFY is delivered at commit, and only then.
CREATE FUNCTION "notify_user_changed"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('user_changed', OLD."id"::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER "User_notify_changed"
AFTER UPDATE OR DELETE ON "User"
FOR EACH ROW EXECUTE FUNCTION "notify_user_changed"();

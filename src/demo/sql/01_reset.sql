-- Empty every data table of the schema that holds the ruang tables, except the migration
-- ledger and tables owned by extensions (PostGIS's spatial_ref_sys). Identities restart so a
-- reload gives the same ids.
SELECT pg_advisory_xact_lock(hashtext('ruang.demo.load'));

DO $$
DECLARE
    tables text;
BEGIN
    SELECT string_agg(format('%I.%I', n.nspname, c.relname), ', ' ORDER BY c.relname)
      INTO tables
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.oid = (SELECT relnamespace FROM pg_class WHERE oid = 'zones'::regclass)
       AND c.relkind IN ('r', 'p')
       AND NOT c.relispartition
       AND c.relname <> '_sqlx_migrations'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND d.deptype = 'e');
    EXECUTE 'TRUNCATE TABLE ' || tables || ' RESTART IDENTITY CASCADE';
END
$$;

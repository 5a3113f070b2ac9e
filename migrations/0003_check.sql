-- Zoning check: the in-memory rule set is rebuilt when a table it reads changes. zones,
-- parcels, overlays, zone_rules, subzones and zoning_plans already notify (0002_tiles.sql);
-- the activity catalogue and the ITBX matrix get the same statement-level notification here.

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['activities', 'rule_conditions', 'activity_rules'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION notify_table_change()', t || '_notify', t);
    END LOOP;
END $$;

-- Reproducible decisions: a check records (plan id, plan version), so every change to what a
-- plan says bumps its version, once per statement. zoning_plans' own change notification is
-- narrowed to the columns that matter, so a version bump alone does not look like a plan edit
-- to the tile cache (which would drop every zone tile after each zone edit).
CREATE FUNCTION bump_plan_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE zoning_plans SET version = version + 1, updated_at = now()
         WHERE id IN (SELECT plan_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE zoning_plans SET version = version + 1, updated_at = now()
         WHERE id IN (SELECT plan_id FROM old_rows);
    ELSE
        UPDATE zoning_plans SET version = version + 1, updated_at = now()
         WHERE id IN (SELECT plan_id FROM new_rows UNION SELECT plan_id FROM old_rows);
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['zones', 'zone_rules', 'activity_rules', 'rule_conditions', 'overlays'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION bump_plan_version()', t || '_plan_version_ins', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION bump_plan_version()', t || '_plan_version_upd', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION bump_plan_version()', t || '_plan_version_del', t);
    END LOOP;
END $$;

DROP TRIGGER zoning_plans_notify ON zoning_plans;
CREATE TRIGGER zoning_plans_notify
    AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF name, legal_basis, valid_from, status ON zoning_plans
    FOR EACH STATEMENT EXECUTE FUNCTION notify_table_change();

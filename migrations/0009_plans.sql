-- The rule book (issue 18): draft plans loaded from a city's own regulation tables, compared
-- with the active plan, activated with a reason into an append-only plan history.

-- Where a draft came from, and when a plan took and left effect.
ALTER TABLE zoning_plans
    ADD COLUMN based_on      integer REFERENCES zoning_plans (id) ON DELETE SET NULL,
    ADD COLUMN activated_at  timestamptz,
    ADD COLUMN retired_at    timestamptz,
    -- Row and column order of the rule tables as last imported, so an export gives back the
    -- planners' own layout ({"itbx_columns": [...], "itbx_rows": [...], "intensity_rows": [...],
    -- "conditions_rows": [...]}).
    ADD COLUMN book_layout   jsonb NOT NULL DEFAULT '{}';

-- Append-only history of every plan: created, rules imported, activated, retired, deleted.
-- plan_id has no foreign key on purpose: the history of a deleted draft stays.
CREATE TABLE plan_events (
    id          bigserial PRIMARY KEY,
    plan_id     integer NOT NULL,
    plan_name   text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    action      text NOT NULL CHECK (action IN ('created', 'rules_imported', 'activated', 'retired', 'deleted')),
    actor_id    uuid REFERENCES users (id),
    actor_role  text,
    reason      text,
    -- the plan's version after the event, and what the event carried (import counts, ...)
    plan_version integer,
    data        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX plan_events_plan_idx ON plan_events (plan_id, at, id);
CREATE TRIGGER plan_events_append_only
    BEFORE UPDATE OR DELETE ON plan_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- The zones' derived copies of their plan's rules were refreshed for every zone of every plan
-- whenever any plan's intensity rows or status changed (0002_tiles.sql), which bumped the
-- version of every plan and dropped every cached zone tile. Now only the zones of the plans a
-- statement touched are refreshed, so loading a draft leaves the active plan alone.
DROP TRIGGER zone_rules_rederive ON zone_rules;
DROP TRIGGER zoning_plans_rederive ON zoning_plans;

CREATE FUNCTION zones_rederive_plans() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    plans integer[];
BEGIN
    IF TG_TABLE_NAME = 'zoning_plans' THEN
        SELECT array_agg(n.id) INTO plans
          FROM new_rows n JOIN old_rows o USING (id) WHERE n.status IS DISTINCT FROM o.status;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT plan_id) INTO plans FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT plan_id) INTO plans FROM old_rows;
    ELSE
        SELECT array_agg(p) INTO plans
          FROM (SELECT plan_id FROM new_rows UNION SELECT plan_id FROM old_rows) x(p);
    END IF;
    -- an UPDATE of no rows would still fire the zones' statement triggers (version bump of
    -- zoning_plans, which fires this again), so nothing is run when no plan is concerned
    IF plans IS NOT NULL AND EXISTS (SELECT 1 FROM zones WHERE plan_id = ANY (plans)) THEN
        UPDATE zones SET subzone_code = subzone_code WHERE plan_id = ANY (plans);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER zone_rules_rederive_ins AFTER INSERT ON zone_rules REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION zones_rederive_plans();
CREATE TRIGGER zone_rules_rederive_upd AFTER UPDATE ON zone_rules
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION zones_rederive_plans();
CREATE TRIGGER zone_rules_rederive_del AFTER DELETE ON zone_rules REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION zones_rederive_plans();
CREATE TRIGGER zoning_plans_rederive AFTER UPDATE ON zoning_plans
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION zones_rederive_plans();

-- OGC API - Features Part 4: the editable tables (zones, overlays, health_facilities, markets,
-- waste_facilities) already carry version / updated_at / updated_by (0001). Here the row
-- version, which the API serves as the ETag, is bumped by the database on every real change,
-- whoever makes it (the API, an import, psql, the zone-rule triggers of 0002), so If-Match
-- catches every concurrent edit, not only those made through the API.

CREATE FUNCTION bump_row_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['zones', 'overlays', 'health_facilities', 'markets', 'waste_facilities'] LOOP
        -- "zz_" sorts after the other BEFORE UPDATE triggers (zones_derive), so the derived
        -- copies are in NEW before it compares.
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I
                        FOR EACH ROW EXECUTE FUNCTION bump_row_version()', 'zz_' || t || '_version', t);
    END LOOP;
END $$;

-- The permits collection reads parcels of kind 'izin' in id order.
CREATE INDEX parcels_izin_idx ON parcels (id) WHERE kind = 'izin';

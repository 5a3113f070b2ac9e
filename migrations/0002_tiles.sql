-- Vector tiles: a stored Web Mercator copy of every mapped geometry (no ST_Transform per row
-- and per tile), and change notifications so the tile cache invalidates only what changed.

ALTER TABLE zones ADD COLUMN geom_3857 geometry(MultiPolygon, 3857)
    GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
CREATE INDEX zones_geom_3857_idx ON zones USING gist (geom_3857);

ALTER TABLE parcels ADD COLUMN geom_3857 geometry(MultiPolygon, 3857)
    GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
CREATE INDEX parcels_geom_3857_idx ON parcels USING gist (geom_3857);

ALTER TABLE overlays ADD COLUMN geom_3857 geometry(MultiPolygon, 3857)
    GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
CREATE INDEX overlays_geom_3857_idx ON overlays USING gist (geom_3857);

ALTER TABLE admin_areas ADD COLUMN geom_3857 geometry(MultiPolygon, 3857)
    GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
ALTER TABLE admin_areas ADD COLUMN label_3857 geometry(Point, 3857)
    GENERATED ALWAYS AS (ST_Transform(ST_PointOnSurface(geom), 3857)) STORED;
CREATE INDEX admin_areas_geom_3857_idx ON admin_areas USING gist (geom_3857);
CREATE INDEX admin_areas_label_3857_idx ON admin_areas USING gist (label_3857);

ALTER TABLE health_facilities ADD COLUMN geom_3857 geometry(Point, 3857)
    GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
CREATE INDEX health_facilities_geom_3857_idx ON health_facilities USING gist (geom_3857);

ALTER TABLE markets ADD COLUMN geom_3857 geometry(Point, 3857)
    GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
CREATE INDEX markets_geom_3857_idx ON markets USING gist (geom_3857);

ALTER TABLE waste_facilities ADD COLUMN geom_3857 geometry(Point, 3857)
    GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
CREATE INDEX waste_facilities_geom_3857_idx ON waste_facilities USING gist (geom_3857);

-- Zone properties the map shows, copied onto each zone so a tile needs no join (joins doubled
-- the cost of a zones tile). Derived data: maintained by the triggers below, never written by
-- clients. A change of sub-zone names, rules or plan status refreshes the copies.
ALTER TABLE zones
    ADD COLUMN subzone_name text,
    ADD COLUMN color_class  text,
    ADD COLUMN kdb_max      float8,
    ADD COLUMN klb_max      float8,
    ADD COLUMN height_max   float8,
    ADD COLUMN plan_active  boolean NOT NULL DEFAULT false;

CREATE FUNCTION zones_derive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT s.name, s.color_class INTO NEW.subzone_name, NEW.color_class
      FROM subzones s WHERE s.code = NEW.subzone_code;
    SELECT r.kdb_max_pct, r.klb_max, r.height_max_m INTO NEW.kdb_max, NEW.klb_max, NEW.height_max
      FROM zone_rules r
     WHERE r.plan_id = NEW.plan_id AND r.subzone_code = NEW.subzone_code AND r.variant = '';
    NEW.plan_active := EXISTS (SELECT 1 FROM zoning_plans p WHERE p.id = NEW.plan_id AND p.status = 'active');
    RETURN NEW;
END $$;
CREATE TRIGGER zones_derive BEFORE INSERT OR UPDATE ON zones
    FOR EACH ROW EXECUTE FUNCTION zones_derive();

CREATE FUNCTION zones_rederive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- re-running the row trigger recomputes every copy
    UPDATE zones SET subzone_code = subzone_code;
    RETURN NULL;
END $$;
CREATE TRIGGER zone_rules_rederive AFTER INSERT OR UPDATE OR DELETE ON zone_rules
    FOR EACH STATEMENT EXECUTE FUNCTION zones_rederive();
CREATE TRIGGER subzones_rederive AFTER UPDATE ON subzones
    FOR EACH STATEMENT EXECUTE FUNCTION zones_rederive();
CREATE TRIGGER zoning_plans_rederive AFTER UPDATE OF status ON zoning_plans
    FOR EACH STATEMENT EXECUTE FUNCTION zones_rederive();
CREATE INDEX zones_active_geom_3857_idx ON zones USING gist (geom_3857) WHERE plan_active;

-- Latest stunting prevalence per Puskesmas catchment (the union of its kelurahan), in percent.
CREATE VIEW puskesmas_stunting_latest AS
WITH latest AS (
    SELECT max(period) AS period FROM stunting_observations WHERE level = 'kelurahan'
)
SELECT c.facility_id,
       l.period,
       round(100.0 * sum(o.severely_stunted + o.stunted) / nullif(sum(o.measured), 0), 1) AS prevalence_pct
  FROM puskesmas_catchments c
  CROSS JOIN latest l
  JOIN stunting_observations o
    ON o.kelurahan_code = c.kelurahan_code AND o.level = 'kelurahan' AND o.period = l.period
 GROUP BY c.facility_id, l.period;

-- Latest stunting prevalence per kelurahan, in percent.
CREATE VIEW kelurahan_stunting_latest AS
SELECT DISTINCT ON (o.kelurahan_code)
       o.kelurahan_code,
       o.period,
       round(100.0 * (o.severely_stunted + o.stunted) / nullif(o.measured, 0), 1) AS prevalence_pct
  FROM stunting_observations o
 WHERE o.level = 'kelurahan'
 ORDER BY o.kelurahan_code, o.period DESC, o.source;

-- Price alert level per market and commodity at the latest observation (domain-kupang §3.3):
-- red when CV over 12 weeks > 9%, |change over 4 weeks| > 10% or price above HET / HAP max;
-- yellow when CV 5-9%, |change| 5-10% or price within 5% of HET / HAP max; green otherwise.
CREATE VIEW market_commodity_alerts AS
WITH latest AS (
    SELECT market_id, commodity_id, max(obs_date) AS d
      FROM price_observations WHERE level = 'eceran'
     GROUP BY market_id, commodity_id
), stats AS (
    SELECT l.market_id, l.commodity_id, l.d,
           (SELECT p.price_idr FROM price_observations p
             WHERE p.market_id = l.market_id AND p.commodity_id = l.commodity_id
               AND p.level = 'eceran' AND p.obs_date = l.d) AS price,
           (SELECT p.price_idr FROM price_observations p
             WHERE p.market_id = l.market_id AND p.commodity_id = l.commodity_id
               AND p.level = 'eceran' AND p.obs_date <= l.d - 28
             ORDER BY p.obs_date DESC LIMIT 1) AS price_4w,
           (SELECT 100.0 * stddev_samp(p.price_idr) / nullif(avg(p.price_idr), 0)
              FROM price_observations p
             WHERE p.market_id = l.market_id AND p.commodity_id = l.commodity_id
               AND p.level = 'eceran' AND p.obs_date > l.d - 84) AS cv_12w_pct,
           (SELECT r.price_max FROM reference_prices r
             WHERE r.commodity_id = l.commodity_id AND r.valid_from <= l.d
               AND (r.valid_until IS NULL OR r.valid_until >= l.d)
             ORDER BY r.kind DESC, r.valid_from DESC LIMIT 1) AS reference_max
      FROM latest l
)
SELECT s.market_id, s.commodity_id, s.d AS obs_date, s.price, s.cv_12w_pct,
       round(100.0 * (s.price - s.price_4w) / nullif(s.price_4w, 0), 1) AS change_4w_pct,
       s.reference_max,
       CASE
         WHEN s.cv_12w_pct > 9
           OR abs(100.0 * (s.price - s.price_4w) / nullif(s.price_4w, 0)) > 10
           OR s.price > s.reference_max THEN 'red'
         WHEN s.cv_12w_pct >= 5
           OR abs(100.0 * (s.price - s.price_4w) / nullif(s.price_4w, 0)) >= 5
           OR s.price >= 0.95 * s.reference_max THEN 'yellow'
         ELSE 'green'
       END AS alert_level
  FROM stats s;

-- Tile cache invalidation: every statement that changes a mapped table sends the bounding box
-- (EPSG:4326) of the rows it touched, old and new, on channel `ruang_changes`; TRUNCATE sends
-- the table alone, meaning "everything". Statement-level triggers with transition tables keep
-- bulk loads cheap (one notification per statement, not per row).
CREATE FUNCTION notify_geom_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    box box2d;
    ext box2d;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE 'SELECT ST_Extent(geom) FROM old_rows' INTO box;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        EXECUTE 'SELECT ST_Extent(geom) FROM new_rows' INTO ext;
        IF box IS NULL THEN
            box := ext;
        ELSIF ext IS NOT NULL THEN
            box := ST_Extent(g)::box2d FROM (VALUES (box::geometry), (ext::geometry)) AS v (g);
        END IF;
    END IF;
    IF box IS NOT NULL THEN
        PERFORM pg_notify('ruang_changes', json_build_object(
            'table', TG_TABLE_NAME,
            'bbox', json_build_array(ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box)))::text);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION notify_table_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ruang_changes', json_build_object('table', TG_TABLE_NAME)::text);
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['zones', 'parcels', 'overlays', 'admin_areas', 'health_facilities',
                             'markets', 'waste_facilities'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION notify_geom_change()', t || '_ins_notify', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION notify_geom_change()', t || '_upd_notify', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION notify_geom_change()', t || '_del_notify', t);
        EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION notify_table_change()', t || '_trunc_notify', t);
    END LOOP;
    -- Tables without geometry whose rows show up as tile properties: any change means "all".
    FOREACH t IN ARRAY ARRAY['zone_rules', 'subzones', 'zoning_plans', 'stunting_observations',
                             'price_observations', 'reference_prices', 'puskesmas_catchments'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION notify_table_change()', t || '_notify', t);
    END LOOP;
END $$;

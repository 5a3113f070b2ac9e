-- Monitoring (issue 8): the one definition of a kelurahan's and a Puskesmas' monthly stunting
-- counts, the latest-value views the tiles read (same columns as in 0002, new logic), the price
-- alert view with the rules of src/monitor/calc.rs, and the waste report audit trail.
--
-- The arithmetic is mirrored in src/monitor/calc.rs; tests/monitor.rs checks that the API (Rust)
-- and these views give the same numbers.

-- ---------------------------------------------------------------------------
-- Stunting
-- ---------------------------------------------------------------------------

-- Counts of one kelurahan in one month. A kelurahan-level row wins over the sum of the
-- kelurahan's posyandu rows; among several sources, e-PPGBM wins, then the alphabetically first
-- source (byte order). stunted = severely stunted + stunted.
CREATE VIEW stunting_kelurahan_month AS
SELECT DISTINCT ON (x.kelurahan_code, x.period)
       x.kelurahan_code, x.period, x.measured, x.stunted, x.source
  FROM (
        SELECT o.kelurahan_code, o.period, o.source, 1 AS tier,
               sum(o.measured)::bigint AS measured,
               sum(o.severely_stunted + o.stunted)::bigint AS stunted
          FROM stunting_observations o
         WHERE o.level = 'kelurahan'
         GROUP BY o.kelurahan_code, o.period, o.source
        UNION ALL
        SELECT coalesce(o.kelurahan_code, f.kelurahan_code), o.period, o.source, 2,
               sum(o.measured)::bigint, sum(o.severely_stunted + o.stunted)::bigint
          FROM stunting_observations o
          JOIN health_facilities f ON f.id = o.facility_id
         WHERE o.level = 'posyandu'
         GROUP BY coalesce(o.kelurahan_code, f.kelurahan_code), o.period, o.source
       ) x
 WHERE x.kelurahan_code IS NOT NULL
 ORDER BY x.kelurahan_code, x.period, x.tier, (x.source = 'e-PPGBM') DESC, x.source COLLATE "C";

-- Counts of one Puskesmas catchment in one month: the sum over its kelurahan; when none of them
-- has data that month, the Puskesmas' own rows (level 'puskesmas', same source preference).
CREATE VIEW stunting_puskesmas_month AS
WITH agg AS (
    SELECT c.facility_id, k.period, sum(k.measured)::bigint AS measured,
           sum(k.stunted)::bigint AS stunted
      FROM puskesmas_catchments c
      JOIN stunting_kelurahan_month k ON k.kelurahan_code = c.kelurahan_code
     GROUP BY c.facility_id, k.period
), own AS (
    SELECT DISTINCT ON (y.facility_id, y.period) y.facility_id, y.period, y.measured, y.stunted
      FROM (SELECT o.facility_id, o.period, o.source, sum(o.measured)::bigint AS measured,
                   sum(o.severely_stunted + o.stunted)::bigint AS stunted
              FROM stunting_observations o
             WHERE o.level = 'puskesmas'
             GROUP BY o.facility_id, o.period, o.source) y
     ORDER BY y.facility_id, y.period, (y.source = 'e-PPGBM') DESC, y.source COLLATE "C"
)
SELECT coalesce(a.facility_id, o.facility_id) AS facility_id,
       coalesce(a.period, o.period) AS period,
       coalesce(a.measured, o.measured) AS measured,
       coalesce(a.stunted, o.stunted) AS stunted
  FROM agg a
  FULL JOIN own o ON o.facility_id = a.facility_id AND o.period = a.period;

-- The month the map shows: the latest month with kelurahan data (the API's default period too).
CREATE VIEW stunting_latest_period AS
SELECT max(period) AS period FROM stunting_kelurahan_month;

-- Same columns as 0002; now every kelurahan shows the city's latest month (NULL when it did not
-- report that month), exactly what GET /api/stunting answers without a period.
CREATE OR REPLACE VIEW kelurahan_stunting_latest AS
SELECT k.kelurahan_code,
       k.period,
       round(100.0 * k.stunted / nullif(k.measured, 0), 1) AS prevalence_pct
  FROM stunting_kelurahan_month k
  JOIN stunting_latest_period l ON l.period = k.period;

CREATE OR REPLACE VIEW puskesmas_stunting_latest AS
SELECT p.facility_id,
       p.period,
       round(100.0 * p.stunted / nullif(p.measured, 0), 1) AS prevalence_pct
  FROM stunting_puskesmas_month p
  JOIN stunting_latest_period l ON l.period = p.period;

-- ---------------------------------------------------------------------------
-- Prices
-- ---------------------------------------------------------------------------

-- Per market and commodity at its latest retail observation (d). Same first eight columns as in
-- 0002 (cv_12w_pct and change_4w_pct keep their meaning); the alert now follows
-- src/monitor/calc.rs::alert_level:
--   red    when cv_4w > 9, |mom| > 10, or price > reference max;
--   yellow when cv_4w >= 5, |mom| >= 5, or price >= 95% of reference max;
--   green  otherwise.
-- mom: the price at d against the last price on or before d - 1 month (at most 14 days older).
-- cv_4w: sample standard deviation / mean of the prices in (d - 28 days, d], at least two.
-- cv_12m: the same over (d - 1 year, d]. Reference: HET before HAP, the newest valid on d.
CREATE OR REPLACE VIEW market_commodity_alerts AS
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
             ORDER BY r.kind DESC, r.valid_from DESC, r.id DESC LIMIT 1) AS reference_max,
           (SELECT p.price_idr FROM price_observations p
             WHERE p.market_id = l.market_id AND p.commodity_id = l.commodity_id
               AND p.level = 'eceran'
               AND p.obs_date <= (l.d - interval '1 month')::date
               AND p.obs_date >= (l.d - interval '1 month')::date - 14
             ORDER BY p.obs_date DESC LIMIT 1) AS price_prev_month,
           (SELECT 100.0 * stddev_samp(p.price_idr) / nullif(avg(p.price_idr), 0)
              FROM price_observations p
             WHERE p.market_id = l.market_id AND p.commodity_id = l.commodity_id
               AND p.level = 'eceran' AND p.obs_date > l.d - 28) AS cv_4w_pct,
           (SELECT 100.0 * stddev_samp(p.price_idr) / nullif(avg(p.price_idr), 0)
              FROM price_observations p
             WHERE p.market_id = l.market_id AND p.commodity_id = l.commodity_id
               AND p.level = 'eceran' AND p.obs_date > (l.d - interval '1 year')::date) AS cv_12m_pct
      FROM latest l
), judged AS (
    SELECT s.*,
           100.0 * (s.price - s.price_prev_month) / nullif(s.price_prev_month, 0) AS mom_pct
      FROM stats s
)
SELECT j.market_id, j.commodity_id, j.d AS obs_date, j.price, j.cv_12w_pct,
       round(100.0 * (j.price - j.price_4w) / nullif(j.price_4w, 0), 1) AS change_4w_pct,
       j.reference_max,
       CASE
         WHEN j.cv_4w_pct > 9 OR abs(j.mom_pct) > 10 OR j.price > j.reference_max THEN 'red'
         WHEN j.cv_4w_pct >= 5 OR abs(j.mom_pct) >= 5 OR j.price >= 0.95 * j.reference_max THEN 'yellow'
         ELSE 'green'
       END AS alert_level,
       j.mom_pct,
       j.cv_4w_pct,
       j.cv_12m_pct
  FROM judged j;

-- ---------------------------------------------------------------------------
-- Waste reports: who moved a report, when, from which status to which, and why.
-- ---------------------------------------------------------------------------
CREATE TABLE waste_report_events (
    id           bigserial PRIMARY KEY,
    report_id    bigint NOT NULL REFERENCES waste_reports (id) ON DELETE CASCADE,
    actor_id     uuid REFERENCES users (id),
    at           timestamptz NOT NULL DEFAULT now(),
    from_status  text,
    to_status    text NOT NULL,
    note         text CHECK (note IS NULL OR length(note) <= 2000)
);
CREATE INDEX waste_report_events_report_idx ON waste_report_events (report_id, at, id);
CREATE TRIGGER waste_report_events_append_only
    BEFORE UPDATE OR DELETE ON waste_report_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Median time to close per kelurahan reads the closed reports of a kelurahan.
CREATE INDEX waste_reports_kelurahan_closed_idx ON waste_reports (kelurahan_code, status, closed_at);

-- ---------------------------------------------------------------------------
-- Data version for the response cache of the stunting and price endpoints
-- (src/monitor/cache.rs): the id of the last transaction that changed a table those answers
-- read, written in that transaction. Transaction ids never repeat, even after TRUNCATE.
-- ---------------------------------------------------------------------------
CREATE TABLE monitor_data_version (
    one      boolean PRIMARY KEY DEFAULT true CHECK (one),
    version  bigint NOT NULL
);
INSERT INTO monitor_data_version (version) VALUES (txid_current());

CREATE FUNCTION monitor_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO monitor_data_version (one, version) VALUES (true, txid_current())
    ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version
     WHERE monitor_data_version.version IS DISTINCT FROM EXCLUDED.version;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['stunting_observations', 'price_observations', 'reference_prices',
                             'markets', 'market_aliases', 'commodities', 'health_facilities',
                             'puskesmas_catchments', 'admin_areas', 'admin_area_aliases'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION monitor_data_changed()',
                       t || '_monitor_version', t);
    END LOOP;
END $$;

-- ruang data model, first version.
--
-- Geometry is stored in EPSG:4326 (lon/lat); areas and distances are computed in
-- EPSG:32751 (WGS 84 / UTM 51S). Every geometry column is typed (type + SRID enforced by
-- PostGIS typmods), polygons must be valid and non-empty, and every geometry column has a
-- GIST index. Check constraints keep statuses, classes and figures honest so that bad data
-- is refused by the database itself, whichever client writes it.

CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- ---------------------------------------------------------------------------
-- Administrative areas (Kemendagri codes, e.g. 53.71.01.1001)
-- ---------------------------------------------------------------------------
CREATE TABLE admin_areas (
    code          text PRIMARY KEY CHECK (code ~ '^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$'),
    level         text NOT NULL CHECK (level IN ('kota', 'kecamatan', 'kelurahan')),
    name          text NOT NULL CHECK (length(trim(name)) > 0),
    parent_code   text REFERENCES admin_areas (code) ON UPDATE CASCADE,
    geom          geometry(MultiPolygon, 4326) NOT NULL
                  CONSTRAINT admin_areas_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    label_point   geometry(Point, 4326) GENERATED ALWAYS AS (ST_PointOnSurface(geom)) STORED,
    source        text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT admin_areas_level_code CHECK (
        (level = 'kota' AND code ~ '^[0-9]{2}\.[0-9]{2}$') OR
        (level = 'kecamatan' AND code ~ '^[0-9]{2}\.[0-9]{2}\.[0-9]{2}$') OR
        (level = 'kelurahan' AND code ~ '^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$'))
);
CREATE INDEX admin_areas_geom_idx ON admin_areas USING gist (geom);
CREATE INDEX admin_areas_label_idx ON admin_areas USING gist (label_point);
CREATE INDEX admin_areas_level_idx ON admin_areas (level);
CREATE INDEX admin_areas_parent_idx ON admin_areas (parent_code);
CREATE INDEX admin_areas_name_trgm_idx ON admin_areas USING gin (lower(name) gin_trgm_ops);

-- Other spellings of an area's name ("Batu Plat" / "Batuplat", "Naikoten I" / "Naikoten Satu").
-- alias is stored lower-cased with single spaces, the form lookups normalise to.
CREATE TABLE admin_area_aliases (
    alias  text PRIMARY KEY CHECK (alias = lower(alias) AND length(alias) > 0),
    code   text NOT NULL REFERENCES admin_areas (code) ON DELETE CASCADE
);
CREATE INDEX admin_area_aliases_code_idx ON admin_area_aliases (code);

-- ---------------------------------------------------------------------------
-- Zoning: plans, sub-zone catalogue, zones, intensity rules, ITBX matrix, overlays
-- ---------------------------------------------------------------------------
CREATE TABLE zoning_plans (
    id           serial PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    legal_basis  text,
    valid_from   date,
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'retired')),
    -- bumped whenever zones, rules or overlays of the plan change; a check records the
    -- (plan id, version) it used so its decision can be reproduced.
    version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
-- at most one active plan
CREATE UNIQUE INDEX zoning_plans_one_active ON zoning_plans ((true)) WHERE status = 'active';

-- Catalogue of zone / sub-zone codes (Permen ATR/BPN 11/2021 scheme).
CREATE TABLE subzones (
    code         text PRIMARY KEY CHECK (code ~ '^[A-Z]{1,4}(-[0-9])?$'),
    zone_code    text NOT NULL CHECK (zone_code ~ '^[A-Z]{1,4}$'),
    zone_group   text NOT NULL CHECK (zone_group IN ('lindung', 'budidaya')),
    zone_name    text NOT NULL,
    name         text NOT NULL,
    name_en      text NOT NULL,
    -- colour class used by map styles (perumahan, perdagangan, perkantoran, ...)
    color_class  text NOT NULL,
    -- false where no building mass is allowed at all (water, road bodies, protected land)
    buildable    boolean NOT NULL
);

-- Legacy (Permen PU 20/2011) and local codes mapped onto the current scheme.
CREATE TABLE zone_code_aliases (
    alias         text PRIMARY KEY,
    subzone_code  text NOT NULL REFERENCES subzones (code),
    note          text
);

CREATE TABLE zones (
    id             bigserial PRIMARY KEY,
    plan_id        integer NOT NULL REFERENCES zoning_plans (id) ON DELETE CASCADE,
    zone_code      text NOT NULL,
    subzone_code   text NOT NULL REFERENCES subzones (code),
    name           text,
    block_code     text,
    kelurahan_code text REFERENCES admin_areas (code),
    overlay_flags  text[] NOT NULL DEFAULT '{}',
    geom           geometry(MultiPolygon, 4326) NOT NULL
                   CONSTRAINT zones_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    version        integer NOT NULL DEFAULT 1 CHECK (version > 0),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     uuid
);
CREATE INDEX zones_geom_idx ON zones USING gist (geom);
CREATE INDEX zones_plan_subzone_idx ON zones (plan_id, subzone_code);
CREATE INDEX zones_kelurahan_idx ON zones (kelurahan_code);

-- Intensity per (plan, sub-zone, variant). Percentages are 0..100, ratios are plain numbers.
CREATE TABLE zone_rules (
    plan_id          integer NOT NULL REFERENCES zoning_plans (id) ON DELETE CASCADE,
    subzone_code     text NOT NULL REFERENCES subzones (code),
    variant          text NOT NULL DEFAULT '',
    kdb_max_pct      numeric CHECK (kdb_max_pct BETWEEN 0 AND 100),
    klb_max          numeric CHECK (klb_max >= 0),
    kdh_min_pct      numeric CHECK (kdh_min_pct BETWEEN 0 AND 100),
    ktb_max_pct      numeric CHECK (ktb_max_pct BETWEEN 0 AND 100),
    height_max_m     numeric CHECK (height_max_m >= 0),
    floors_max       integer CHECK (floors_max >= 0),
    gsb_min_m        numeric CHECK (gsb_min_m >= 0),
    jbs_min_m        numeric CHECK (jbs_min_m >= 0),
    min_parcel_m2    numeric CHECK (min_parcel_m2 >= 0),
    note             text,
    PRIMARY KEY (plan_id, subzone_code, variant)
);

-- KBLI 2020 activities
CREATE TABLE activities (
    kbli_code  text PRIMARY KEY CHECK (kbli_code ~ '^[0-9]{5}$'),
    title      text NOT NULL,
    title_en   text NOT NULL,
    section    text NOT NULL CHECK (section ~ '^[A-U]$'),
    keywords   text NOT NULL DEFAULT ''
);
CREATE INDEX activities_title_trgm_idx ON activities USING gin (lower(title || ' ' || keywords) gin_trgm_ops);

-- Texts of the condition codes (T1..T3, B1..Bn) of a plan.
CREATE TABLE rule_conditions (
    plan_id  integer NOT NULL REFERENCES zoning_plans (id) ON DELETE CASCADE,
    code     text NOT NULL CHECK (code ~ '^[TB][0-9]{1,2}$'),
    text_id  text NOT NULL,
    text_en  text NOT NULL,
    PRIMARY KEY (plan_id, code)
);

-- The ITBX matrix: class of an activity in a sub-zone, with its condition codes.
CREATE TABLE activity_rules (
    plan_id          integer NOT NULL REFERENCES zoning_plans (id) ON DELETE CASCADE,
    subzone_code     text NOT NULL REFERENCES subzones (code),
    kbli_code        text NOT NULL REFERENCES activities (kbli_code),
    class            char(1) NOT NULL CHECK (class IN ('I', 'T', 'B', 'X')),
    condition_codes  text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (plan_id, subzone_code, kbli_code),
    -- T and B need their condition codes; I and X carry none
    CONSTRAINT activity_rules_conditions CHECK (
        (class IN ('I', 'X') AND cardinality(condition_codes) = 0) OR
        (class IN ('T', 'B') AND cardinality(condition_codes) > 0))
);
CREATE INDEX activity_rules_kbli_idx ON activity_rules (plan_id, kbli_code);

CREATE TABLE overlays (
    id            bigserial PRIMARY KEY,
    plan_id       integer NOT NULL REFERENCES zoning_plans (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('sempadan_pantai', 'sempadan_sungai', 'kkop', 'krb',
                                                'cagar_budaya', 'kawasan_lindung')),
    name          text NOT NULL,
    -- no building mass allowed inside (setbacks, protected land)
    no_building   boolean NOT NULL DEFAULT false,
    -- KKOP: maximum building height (m) inside the surface
    height_max_m  numeric CHECK (height_max_m >= 0),
    -- KRB: hazard and level (banjir / longsor / tsunami; rendah / sedang / tinggi)
    hazard        text,
    hazard_level  text CHECK (hazard_level IN ('rendah', 'sedang', 'tinggi')),
    condition_id  text,
    condition_en  text,
    geom          geometry(MultiPolygon, 4326) NOT NULL
                  CONSTRAINT overlays_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    version       integer NOT NULL DEFAULT 1 CHECK (version > 0),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    uuid,
    CONSTRAINT overlays_kkop_height CHECK (kind <> 'kkop' OR height_max_m IS NOT NULL),
    CONSTRAINT overlays_krb_hazard CHECK (kind <> 'krb' OR (hazard IS NOT NULL AND hazard_level IS NOT NULL))
);
CREATE INDEX overlays_geom_idx ON overlays USING gist (geom);
CREATE INDEX overlays_plan_kind_idx ON overlays (plan_id, kind);

-- ---------------------------------------------------------------------------
-- Users and tokens
-- ---------------------------------------------------------------------------
CREATE TABLE users (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email           text NOT NULL CHECK (email = lower(email) AND email ~ '^[^@\s]+@[^@\s]+$'),
    display_name    text,
    -- argon2 PHC string; never a plain password
    password_hash   text NOT NULL CHECK (password_hash LIKE '$argon2%'),
    role            text NOT NULL CHECK (role IN ('pemohon', 'operator', 'verifikator', 'forum',
                                                  'pejabat', 'planner', 'admin')),
    disabled        boolean NOT NULL DEFAULT false,
    failed_logins   integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_idx ON users (email);

-- Bearer tokens and browser sessions: only a SHA-256 of the random secret is stored.
CREATE TABLE api_tokens (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          text NOT NULL DEFAULT 'api' CHECK (kind IN ('api', 'session')),
    token_hash    bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    name          text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- ---------------------------------------------------------------------------
-- Permit applications, their audit trail, attachments; permit parcels
-- ---------------------------------------------------------------------------
CREATE SEQUENCE application_number_seq;

CREATE TABLE applications (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reference              text NOT NULL UNIQUE,
    applicant_id           uuid NOT NULL REFERENCES users (id),
    applicant_type         text NOT NULL CHECK (applicant_type IN ('perorangan', 'badan_usaha', 'instansi')),
    applicant_name         text NOT NULL CHECK (length(trim(applicant_name)) > 0),
    applicant_nik          text CHECK (applicant_nik ~ '^[0-9]{16}$'),
    applicant_nib          text CHECK (applicant_nib ~ '^[0-9]{13}$'),
    business_scale         text CHECK (business_scale IN ('UMK', 'non-UMK')),
    kbli_code              text NOT NULL REFERENCES activities (kbli_code),
    land_tenure            text CHECK (land_tenure IN ('SHM', 'HGB', 'HP', 'HGU', 'girik', 'lainnya')),
    parcel                 geometry(MultiPolygon, 4326) NOT NULL
                           CONSTRAINT applications_parcel_valid CHECK (ST_IsValid(parcel) AND NOT ST_IsEmpty(parcel)),
    footprint              geometry(MultiPolygon, 4326)
                           CONSTRAINT applications_footprint_valid CHECK (footprint IS NULL OR ST_IsValid(footprint)),
    declared_land_area_m2  numeric CHECK (declared_land_area_m2 > 0),
    footprint_m2           numeric CHECK (footprint_m2 >= 0),
    total_floor_area_m2    numeric CHECK (total_floor_area_m2 >= 0),
    floors                 integer CHECK (floors >= 0),
    height_m               numeric CHECK (height_m >= 0),
    green_area_m2          numeric CHECK (green_area_m2 >= 0),
    basement_area_m2       numeric CHECK (basement_area_m2 >= 0),
    kelurahan_code         text REFERENCES admin_areas (code),
    status                 text NOT NULL DEFAULT 'DRAFT' CHECK (status IN (
                               'DRAFT', 'SUBMITTED', 'ADMIN_CHECK', 'RETURNED', 'TECHNICAL_REVIEW',
                               'FORUM_REVIEW', 'DECIDED', 'ISSUED')),
    decision               text CHECK (decision IN ('approved', 'approved_conditional', 'approved_partial', 'rejected')),
    decision_reason        text,
    conditions             text,
    approved_parcel        geometry(MultiPolygon, 4326)
                           CONSTRAINT applications_approved_valid CHECK (approved_parcel IS NULL OR ST_IsValid(approved_parcel)),
    permit_number          text UNIQUE,
    valid_from             date,
    valid_until            date,
    check_result           jsonb,
    check_plan_id          integer REFERENCES zoning_plans (id),
    check_plan_version     integer,
    version                integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    submitted_at           timestamptz,
    decided_at             timestamptz,
    issued_at              timestamptz,
    CONSTRAINT applications_decided_has_decision CHECK (status NOT IN ('DECIDED', 'ISSUED') OR decision IS NOT NULL),
    CONSTRAINT applications_reject_reason CHECK (decision IS DISTINCT FROM 'rejected' OR length(trim(coalesce(decision_reason, ''))) > 0),
    CONSTRAINT applications_issued_number CHECK (status <> 'ISSUED' OR (permit_number IS NOT NULL AND valid_from IS NOT NULL)),
    CONSTRAINT applications_validity CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from)
);
CREATE INDEX applications_parcel_idx ON applications USING gist (parcel);
CREATE INDEX applications_approved_idx ON applications USING gist (approved_parcel);
CREATE INDEX applications_footprint_idx ON applications USING gist (footprint);
CREATE INDEX applications_applicant_idx ON applications (applicant_id, created_at DESC);
CREATE INDEX applications_status_idx ON applications (status, updated_at);

-- Append-only audit trail: UPDATE and DELETE are refused by a trigger.
CREATE TABLE application_events (
    id              bigserial PRIMARY KEY,
    application_id  uuid NOT NULL REFERENCES applications (id),
    actor_id        uuid REFERENCES users (id),
    at              timestamptz NOT NULL DEFAULT now(),
    from_status     text,
    to_status       text NOT NULL,
    note            text,
    data            jsonb
);
CREATE INDEX application_events_app_idx ON application_events (application_id, at, id);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER application_events_append_only
    BEFORE UPDATE OR DELETE ON application_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE application_attachments (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    application_id  uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('site_plan', 'foto', 'alas_hak', 'lainnya')),
    filename        text NOT NULL,
    content_type    text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size_bytes      integer NOT NULL CHECK (size_bytes > 0 AND size_bytes <= 20 * 1024 * 1024),
    sha256          bytea NOT NULL CHECK (octet_length(sha256) = 32),
    data            bytea NOT NULL,
    uploaded_by     uuid REFERENCES users (id),
    uploaded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT application_attachments_size CHECK (octet_length(data) = size_bytes)
);
CREATE INDEX application_attachments_app_idx ON application_attachments (application_id);

-- Registered land parcels and issued permit parcels.
CREATE TABLE parcels (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('terdaftar', 'izin')),
    parcel_number   text,
    land_tenure     text CHECK (land_tenure IN ('SHM', 'HGB', 'HP', 'HGU', 'girik', 'lainnya')),
    kelurahan_code  text REFERENCES admin_areas (code),
    application_id  uuid UNIQUE REFERENCES applications (id),
    permit_number   text,
    kbli_code       text REFERENCES activities (kbli_code),
    valid_until     date,
    geom            geometry(MultiPolygon, 4326) NOT NULL
                    CONSTRAINT parcels_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    registered_at   date,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT parcels_permit CHECK (kind <> 'izin' OR permit_number IS NOT NULL)
);
CREATE INDEX parcels_geom_idx ON parcels USING gist (geom);
CREATE INDEX parcels_kelurahan_idx ON parcels (kelurahan_code);
CREATE INDEX parcels_kind_idx ON parcels (kind);

-- ---------------------------------------------------------------------------
-- Health: facilities, Puskesmas catchments, stunting observations
-- ---------------------------------------------------------------------------
CREATE TABLE health_facilities (
    id              serial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('puskesmas', 'pustu', 'posyandu', 'rumah_sakit', 'klinik')),
    code            text UNIQUE,
    name            text NOT NULL CHECK (length(trim(name)) > 0),
    -- the Puskesmas a pustu or posyandu reports to
    puskesmas_id    integer REFERENCES health_facilities (id),
    kelurahan_code  text REFERENCES admin_areas (code),
    address         text,
    geom            geometry(Point, 4326) NOT NULL
                    CONSTRAINT health_facilities_geom_valid CHECK (NOT ST_IsEmpty(geom)),
    version         integer NOT NULL DEFAULT 1 CHECK (version > 0),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      uuid,
    CONSTRAINT health_facilities_parent CHECK (kind NOT IN ('posyandu', 'pustu') OR puskesmas_id IS NOT NULL)
);
CREATE INDEX health_facilities_geom_idx ON health_facilities USING gist (geom);
CREATE INDEX health_facilities_kind_idx ON health_facilities (kind);
CREATE INDEX health_facilities_kelurahan_idx ON health_facilities (kelurahan_code);
CREATE INDEX health_facilities_parent_idx ON health_facilities (puskesmas_id);

-- Wilayah kerja: each kelurahan belongs to exactly one Puskesmas.
CREATE TABLE puskesmas_catchments (
    kelurahan_code  text PRIMARY KEY REFERENCES admin_areas (code),
    facility_id     integer NOT NULL REFERENCES health_facilities (id) ON DELETE CASCADE
);
CREATE INDEX puskesmas_catchments_facility_idx ON puskesmas_catchments (facility_id);

-- Counts only; prevalence is computed ((severely_stunted + stunted) / measured), never stored.
CREATE TABLE stunting_observations (
    id                bigserial PRIMARY KEY,
    period            date NOT NULL CHECK (extract(day FROM period) = 1),
    level             text NOT NULL CHECK (level IN ('posyandu', 'kelurahan', 'puskesmas')),
    kelurahan_code    text REFERENCES admin_areas (code),
    facility_id       integer REFERENCES health_facilities (id),
    target            integer CHECK (target >= 0),
    measured          integer NOT NULL CHECK (measured >= 0),
    severely_stunted  integer NOT NULL CHECK (severely_stunted >= 0),
    stunted           integer NOT NULL CHECK (stunted >= 0),
    normal            integer NOT NULL CHECK (normal >= 0),
    tall              integer NOT NULL DEFAULT 0 CHECK (tall >= 0),
    source            text NOT NULL CHECK (length(trim(source)) > 0),
    imported_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stunting_counts CHECK (severely_stunted + stunted + normal + tall <= measured),
    CONSTRAINT stunting_unit CHECK (
        (level = 'kelurahan' AND kelurahan_code IS NOT NULL AND facility_id IS NULL) OR
        (level IN ('posyandu', 'puskesmas') AND facility_id IS NOT NULL)),
    CONSTRAINT stunting_once UNIQUE NULLS NOT DISTINCT (period, level, kelurahan_code, facility_id, source)
);
CREATE INDEX stunting_kelurahan_period_idx ON stunting_observations (kelurahan_code, period);
CREATE INDEX stunting_facility_period_idx ON stunting_observations (facility_id, period);
CREATE INDEX stunting_period_idx ON stunting_observations (period);

-- ---------------------------------------------------------------------------
-- Markets, commodities, reference prices, price observations
-- ---------------------------------------------------------------------------
CREATE TABLE markets (
    id              serial PRIMARY KEY,
    code            text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_-]+$'),
    name            text NOT NULL CHECK (length(trim(name)) > 0),
    kelurahan_code  text REFERENCES admin_areas (code),
    address         text,
    operator        text,
    geom            geometry(Point, 4326) NOT NULL
                    CONSTRAINT markets_geom_valid CHECK (NOT ST_IsEmpty(geom)),
    version         integer NOT NULL DEFAULT 1 CHECK (version > 0),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      uuid
);
CREATE INDEX markets_geom_idx ON markets USING gist (geom);

CREATE TABLE market_aliases (
    alias      text PRIMARY KEY CHECK (alias = lower(alias) AND length(alias) > 0),
    market_id  integer NOT NULL REFERENCES markets (id) ON DELETE CASCADE
);
CREATE INDEX market_aliases_market_idx ON market_aliases (market_id);

CREATE TABLE commodities (
    id        serial PRIMARY KEY,
    code      text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_]+$'),
    name      text NOT NULL,
    name_en   text NOT NULL,
    unit      text NOT NULL CHECK (unit IN ('kg', 'liter', 'butir')),
    category  text NOT NULL,
    -- reported in Bank Indonesia's PIHPS panel
    pihps     boolean NOT NULL DEFAULT true
);

-- Dated, versioned HET (ceiling) / HAP (purchase reference) prices.
CREATE TABLE reference_prices (
    id            serial PRIMARY KEY,
    commodity_id  integer NOT NULL REFERENCES commodities (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('HET', 'HAP')),
    price_zone    text,
    price_min     numeric CHECK (price_min > 0),
    price_max     numeric NOT NULL CHECK (price_max > 0),
    valid_from    date NOT NULL,
    valid_until   date,
    legal_basis   text NOT NULL,
    CONSTRAINT reference_prices_range CHECK (price_min IS NULL OR price_min <= price_max),
    CONSTRAINT reference_prices_dates CHECK (valid_until IS NULL OR valid_until >= valid_from)
);
CREATE INDEX reference_prices_commodity_idx ON reference_prices (commodity_id, valid_from);

CREATE TABLE price_observations (
    id            bigserial PRIMARY KEY,
    market_id     integer NOT NULL REFERENCES markets (id) ON DELETE CASCADE,
    commodity_id  integer NOT NULL REFERENCES commodities (id) ON DELETE CASCADE,
    obs_date      date NOT NULL,
    price_idr     numeric NOT NULL CHECK (price_idr > 0),
    level         text NOT NULL DEFAULT 'eceran' CHECK (level IN ('eceran', 'grosir', 'produsen')),
    source        text NOT NULL DEFAULT 'enumerator',
    imported_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT price_observations_once UNIQUE (market_id, commodity_id, obs_date, level)
);
CREATE INDEX price_observations_commodity_date_idx ON price_observations (commodity_id, obs_date);
CREATE INDEX price_observations_date_idx ON price_observations (obs_date);

-- ---------------------------------------------------------------------------
-- Waste: facilities and citizen reports
-- ---------------------------------------------------------------------------
CREATE TABLE waste_facilities (
    id              serial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('TPS', 'TPS3R', 'TPST', 'TPA', 'bank_sampah', 'kontainer')),
    name            text NOT NULL,
    capacity_m3     numeric CHECK (capacity_m3 >= 0),
    kelurahan_code  text REFERENCES admin_areas (code),
    operator        text,
    geom            geometry(Point, 4326) NOT NULL
                    CONSTRAINT waste_facilities_geom_valid CHECK (NOT ST_IsEmpty(geom)),
    version         integer NOT NULL DEFAULT 1 CHECK (version > 0),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      uuid
);
CREATE INDEX waste_facilities_geom_idx ON waste_facilities USING gist (geom);
CREATE INDEX waste_facilities_kelurahan_idx ON waste_facilities (kelurahan_code);

CREATE TABLE waste_reports (
    id                 bigserial PRIMARY KEY,
    category           text NOT NULL CHECK (category IN ('campuran', 'organik', 'plastik', 'B3', 'logam',
                                                         'kaca', 'kertas', 'lainnya')),
    description        text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    -- private: never in a public collection or tile
    reporter_contact   text,
    kelurahan_code     text REFERENCES admin_areas (code),
    geom               geometry(Point, 4326) NOT NULL
                       CONSTRAINT waste_reports_geom_valid CHECK (NOT ST_IsEmpty(geom)),
    status             text NOT NULL DEFAULT 'baru' CHECK (status IN ('baru', 'diverifikasi', 'dijadwalkan',
                                                                      'selesai', 'ditolak')),
    reported_at        timestamptz NOT NULL DEFAULT now(),
    verified_at        timestamptz,
    scheduled_at       timestamptz,
    closed_at          timestamptz,
    photo              bytea CHECK (photo IS NULL OR octet_length(photo) <= 10 * 1024 * 1024),
    photo_type         text CHECK (photo_type IN ('image/jpeg', 'image/png')),
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0),
    CONSTRAINT waste_reports_photo CHECK ((photo IS NULL) = (photo_type IS NULL)),
    CONSTRAINT waste_reports_closed CHECK (status NOT IN ('selesai', 'ditolak') OR closed_at IS NOT NULL),
    CONSTRAINT waste_reports_order CHECK (closed_at IS NULL OR closed_at >= reported_at)
);
CREATE INDEX waste_reports_geom_idx ON waste_reports USING gist (geom);
CREATE INDEX waste_reports_status_idx ON waste_reports (status, kelurahan_code);
CREATE INDEX waste_reports_reported_idx ON waste_reports (reported_at);

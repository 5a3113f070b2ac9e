//! The collections the OGC API serves: which table, which properties (and the SQL each one
//! stands for), which of them a filter may name, which a client may write.
//!
//! This table is code, not configuration: every SQL expression here is written by ruang, and
//! query parameters only ever select entries from it by name.

use super::cql2::{QType, Queryable};

/// Geometry type of a collection's features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeomType {
    Point,
    MultiPolygon,
}

impl GeomType {
    pub fn name(self) -> &'static str {
        match self {
            GeomType::Point => "Point",
            GeomType::MultiPolygon => "MultiPolygon",
        }
    }

    /// The `format` of the geometry queryable (OGC API - Features Part 3).
    pub fn schema_format(self) -> &'static str {
        match self {
            GeomType::Point => "geometry-point",
            GeomType::MultiPolygon => "geometry-multipolygon",
        }
    }
}

/// The type of a feature id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdType {
    Integer,
    Text,
}

/// Property types beyond the queryable scalar ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PType {
    Scalar(QType),
    /// `text[]`, written as a JSON array of strings; not queryable.
    StringArray,
}

/// One property of a collection's features.
#[derive(Debug, Clone, Copy)]
pub struct Prop {
    pub name: &'static str,
    /// SQL expression over the collection's `FROM` (table alias `t`).
    pub sql: &'static str,
    pub ty: PType,
    pub title: &'static str,
    /// A filter, `sortby` or `?name=value` may name it.
    pub queryable: bool,
    /// The table column a client writes (Part 4); `None` for derived or system properties.
    pub column: Option<&'static str>,
    /// Required on create.
    pub required: bool,
}

const fn p(name: &'static str, sql: &'static str, ty: QType, title: &'static str) -> Prop {
    Prop {
        name,
        sql,
        ty: PType::Scalar(ty),
        title,
        queryable: true,
        column: None,
        required: false,
    }
}

/// A writable property (`column` = `name`).
const fn w(name: &'static str, sql: &'static str, ty: QType, title: &'static str) -> Prop {
    Prop {
        name,
        sql,
        ty: PType::Scalar(ty),
        title,
        queryable: true,
        column: Some(name),
        required: false,
    }
}

/// A writable property that must be given on create.
const fn req(mut prop: Prop) -> Prop {
    prop.required = true;
    prop
}

/// A collection of features.
#[derive(Debug)]
pub struct Collection {
    pub id: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// Table the features live in (writes and the spatial extent use it).
    pub table: &'static str,
    /// The `FROM` clause, the table aliased `t`, with any joins for derived properties.
    pub from: &'static str,
    /// A condition every feature meets (`permits`: issued permits only).
    pub base_where: Option<&'static str>,
    pub id_sql: &'static str,
    pub id_type: IdType,
    pub geom_type: GeomType,
    /// The stored geometry (EPSG:4326) and, when there is one, the stored EPSG:3857 copy.
    pub geom_sql: &'static str,
    pub geom_3857_sql: Option<&'static str>,
    pub props: &'static [Prop],
    /// Start and (optional) end of a feature's time, for `datetime` and the temporal extent.
    pub temporal: Option<(&'static str, Option<&'static str>)>,
    /// Planners and admins may create, replace, update and delete features (Part 4).
    pub editable: bool,
}

const fn arr(name: &'static str, sql: &'static str, title: &'static str) -> Prop {
    Prop {
        name,
        sql,
        ty: PType::StringArray,
        title,
        queryable: false,
        column: Some(name),
        required: false,
    }
}

use QType::{Boolean as B, Date as D, DateTime as DT, Integer as I, Number as N, String as S};

const VERSION: Prop = p(
    "version",
    "t.version",
    I,
    "Versi baris / row version (ETag)",
);
const UPDATED_AT: Prop = p(
    "updated_at",
    "t.updated_at",
    DT,
    "Terakhir diubah / last updated",
);

static ZONES: &[Prop] = &[
    w("plan_id", "t.plan_id", I, "Rencana (RDTR) / zoning plan id"),
    w("zone_code", "t.zone_code", S, "Kode zona / zone code"),
    req(w(
        "subzone_code",
        "t.subzone_code",
        S,
        "Kode sub-zona / sub-zone code",
    )),
    p(
        "subzone_name",
        "t.subzone_name",
        S,
        "Nama sub-zona / sub-zone name",
    ),
    w("name", "t.name", S, "Nama / name"),
    w("block_code", "t.block_code", S, "Kode blok / block code"),
    w(
        "kelurahan_code",
        "t.kelurahan_code",
        S,
        "Kode kelurahan (Kemendagri)",
    ),
    arr(
        "overlay_flags",
        "t.overlay_flags",
        "Tanda overlay / overlay flags",
    ),
    p(
        "color_class",
        "t.color_class",
        S,
        "Kelas warna peta / map colour class",
    ),
    p(
        "kdb_max",
        "t.kdb_max",
        N,
        "KDB maks. (%) / max. building coverage (%)",
    ),
    p(
        "klb_max",
        "t.klb_max",
        N,
        "KLB maks. / max. floor area ratio",
    ),
    p(
        "height_max",
        "t.height_max",
        N,
        "Tinggi maks. (m) / max. height (m)",
    ),
    p(
        "plan_active",
        "t.plan_active",
        B,
        "Rencana aktif / plan is active",
    ),
    VERSION,
    UPDATED_AT,
];

static OVERLAYS: &[Prop] = &[
    w("plan_id", "t.plan_id", I, "Rencana (RDTR) / zoning plan id"),
    req(w("kind", "t.kind", S, "Jenis ketentuan / kind")),
    req(w("name", "t.name", S, "Nama / name")),
    w(
        "no_building",
        "t.no_building",
        B,
        "Tidak boleh dibangun / no building",
    ),
    w(
        "height_max_m",
        "t.height_max_m",
        N,
        "Tinggi maks. (m) / max. height (m)",
    ),
    w("hazard", "t.hazard", S, "Bahaya / hazard"),
    w(
        "hazard_level",
        "t.hazard_level",
        S,
        "Tingkat bahaya / hazard level",
    ),
    w(
        "condition_id",
        "t.condition_id",
        S,
        "Ketentuan / condition (id)",
    ),
    w("condition_en", "t.condition_en", S, "Condition (en)"),
    VERSION,
    UPDATED_AT,
];

static PARCELS: &[Prop] = &[
    p("kind", "t.kind", S, "Jenis (terdaftar / izin) / kind"),
    p(
        "parcel_number",
        "t.parcel_number",
        S,
        "Nomor persil / parcel number",
    ),
    p("land_tenure", "t.land_tenure", S, "Alas hak / land tenure"),
    p(
        "kelurahan_code",
        "t.kelurahan_code",
        S,
        "Kode kelurahan (Kemendagri)",
    ),
    p(
        "permit_number",
        "t.permit_number",
        S,
        "Nomor izin / permit number",
    ),
    p("kbli_code", "t.kbli_code", S, "KBLI"),
    p(
        "valid_until",
        "t.valid_until",
        D,
        "Berlaku sampai / valid until",
    ),
    p(
        "registered_at",
        "t.registered_at",
        D,
        "Tanggal terdaftar / registered",
    ),
    UPDATED_AT,
];

static PERMITS: &[Prop] = &[
    p(
        "permit_number",
        "t.permit_number",
        S,
        "Nomor izin / permit number",
    ),
    p("kbli_code", "t.kbli_code", S, "KBLI"),
    p("activity", "a.title", S, "Kegiatan / activity"),
    p(
        "kelurahan_code",
        "t.kelurahan_code",
        S,
        "Kode kelurahan (Kemendagri)",
    ),
    p("issued_at", "t.registered_at", D, "Tanggal terbit / issued"),
    p(
        "valid_until",
        "t.valid_until",
        D,
        "Berlaku sampai / valid until",
    ),
];

static ADMIN_AREAS: &[Prop] = &[
    p("code", "t.code", S, "Kode Kemendagri / code"),
    p(
        "level",
        "t.level",
        S,
        "Tingkat (kota / kecamatan / kelurahan) / level",
    ),
    p("name", "t.name", S, "Nama / name"),
    p(
        "parent_code",
        "t.parent_code",
        S,
        "Kode induk / parent code",
    ),
    p("source", "t.source", S, "Sumber / source"),
    UPDATED_AT,
];

static HEALTH: &[Prop] = &[
    req(w("kind", "t.kind", S, "Jenis / kind")),
    w("code", "t.code", S, "Kode / code"),
    req(w("name", "t.name", S, "Nama / name")),
    w(
        "puskesmas_id",
        "t.puskesmas_id",
        I,
        "Puskesmas induk / parent Puskesmas",
    ),
    w(
        "kelurahan_code",
        "t.kelurahan_code",
        S,
        "Kode kelurahan (Kemendagri)",
    ),
    w("address", "t.address", S, "Alamat / address"),
    p(
        "stunting_prevalence_pct",
        "s.prevalence_pct",
        N,
        "Prevalensi stunting terakhir wilayah kerja (%) / latest stunting prevalence of the catchment (%)",
    ),
    p(
        "stunting_period",
        "s.period",
        D,
        "Periode data stunting / stunting period",
    ),
    VERSION,
    UPDATED_AT,
];

static MARKETS: &[Prop] = &[
    req(w("code", "t.code", S, "Kode / code")),
    req(w("name", "t.name", S, "Nama / name")),
    w(
        "kelurahan_code",
        "t.kelurahan_code",
        S,
        "Kode kelurahan (Kemendagri)",
    ),
    w("address", "t.address", S, "Alamat / address"),
    w("operator", "t.operator", S, "Pengelola / operator"),
    p(
        "price_alert_level",
        "pa.alert_level",
        S,
        "Tingkat peringatan harga terakhir (red / yellow / green) / latest price alert level",
    ),
    p(
        "price_alert_date",
        "pa.obs_date",
        D,
        "Tanggal harga terakhir / latest price date",
    ),
    VERSION,
    UPDATED_AT,
];

static WASTE_FACILITIES: &[Prop] = &[
    req(w("kind", "t.kind", S, "Jenis / kind")),
    req(w("name", "t.name", S, "Nama / name")),
    w(
        "capacity_m3",
        "t.capacity_m3",
        N,
        "Kapasitas (m³) / capacity (m³)",
    ),
    w(
        "kelurahan_code",
        "t.kelurahan_code",
        S,
        "Kode kelurahan (Kemendagri)",
    ),
    w("operator", "t.operator", S, "Pengelola / operator"),
    VERSION,
    UPDATED_AT,
];

/// Public fields only: no reporter contact, no photo, no free-text description (it may
/// carry names or phone numbers).
static WASTE_REPORTS: &[Prop] = &[
    p("category", "t.category", S, "Kategori / category"),
    p("status", "t.status", S, "Status"),
    p(
        "kelurahan_code",
        "t.kelurahan_code",
        S,
        "Kode kelurahan (Kemendagri)",
    ),
    p("reported_at", "t.reported_at", DT, "Dilaporkan / reported"),
    p(
        "verified_at",
        "t.verified_at",
        DT,
        "Diverifikasi / verified",
    ),
    p(
        "scheduled_at",
        "t.scheduled_at",
        DT,
        "Dijadwalkan / scheduled",
    ),
    p("closed_at", "t.closed_at", DT, "Ditutup / closed"),
];

/// Every collection, in the order `/collections` lists them.
pub static COLLECTIONS: &[Collection] = &[
    Collection {
        id: "zones",
        title: "Zona RDTR / RDTR zones",
        description: "Zona dan sub-zona Rencana Detail Tata Ruang Kota Kupang dengan intensitas \
                      (KDB, KLB, tinggi) dari aturan zonasi. / Zones and sub-zones of Kupang's \
                      detailed spatial plan, with the intensity figures of their zoning rules \
                      (maintained by the database; not writable).",
        table: "zones",
        from: "zones t",
        base_where: None,
        id_sql: "t.id",
        id_type: IdType::Integer,
        geom_type: GeomType::MultiPolygon,
        geom_sql: "t.geom",
        geom_3857_sql: Some("t.geom_3857"),
        props: ZONES,
        temporal: None,
        editable: true,
    },
    Collection {
        id: "overlays",
        title: "Ketentuan khusus / Overlays",
        description: "Sempadan pantai dan sungai, KKOP, kawasan rawan bencana, cagar budaya, \
                      kawasan lindung. / Coastal and river setbacks, airport safety surfaces, \
                      disaster-prone areas, heritage and protected land.",
        table: "overlays",
        from: "overlays t",
        base_where: None,
        id_sql: "t.id",
        id_type: IdType::Integer,
        geom_type: GeomType::MultiPolygon,
        geom_sql: "t.geom",
        geom_3857_sql: Some("t.geom_3857"),
        props: OVERLAYS,
        temporal: None,
        editable: true,
    },
    Collection {
        id: "parcels",
        title: "Persil / Parcels",
        description: "Persil terdaftar dan persil izin. / Registered land parcels and permit \
                      parcels.",
        table: "parcels",
        from: "parcels t",
        base_where: None,
        id_sql: "t.id",
        id_type: IdType::Integer,
        geom_type: GeomType::MultiPolygon,
        geom_sql: "t.geom",
        geom_3857_sql: Some("t.geom_3857"),
        props: PARCELS,
        temporal: Some(("t.registered_at", None)),
        editable: false,
    },
    Collection {
        id: "admin_areas",
        title: "Wilayah administrasi / Administrative areas",
        description: "Kota, kecamatan dan kelurahan dengan kode Kemendagri. / The city, its \
                      districts and urban villages with their Kemendagri codes.",
        table: "admin_areas",
        from: "admin_areas t",
        base_where: None,
        id_sql: "t.code",
        id_type: IdType::Text,
        geom_type: GeomType::MultiPolygon,
        geom_sql: "t.geom",
        geom_3857_sql: Some("t.geom_3857"),
        props: ADMIN_AREAS,
        temporal: None,
        editable: false,
    },
    Collection {
        id: "health_facilities",
        title: "Fasilitas kesehatan / Health facilities",
        description: "Puskesmas, pustu, posyandu, rumah sakit dan klinik, dengan prevalensi \
                      stunting terakhir wilayah kerja Puskesmas. / Health centres and their \
                      outposts, hospitals and clinics, with the latest stunting prevalence of \
                      each Puskesmas catchment.",
        table: "health_facilities",
        from: "health_facilities t LEFT JOIN puskesmas_stunting_latest s ON s.facility_id = t.id",
        base_where: None,
        id_sql: "t.id",
        id_type: IdType::Integer,
        geom_type: GeomType::Point,
        geom_sql: "t.geom",
        geom_3857_sql: Some("t.geom_3857"),
        props: HEALTH,
        temporal: None,
        editable: true,
    },
    Collection {
        id: "markets",
        title: "Pasar / Markets",
        description: "Pasar dengan tingkat peringatan harga pangan terakhir (terburuk dari \
                      semua komoditas). / Markets with their latest food-price alert level (the \
                      worst over all commodities).",
        table: "markets",
        from: "markets t LEFT JOIN LATERAL (\
                 SELECT max(a.obs_date) AS obs_date, \
                        CASE WHEN bool_or(a.alert_level = 'red') THEN 'red' \
                             WHEN bool_or(a.alert_level = 'yellow') THEN 'yellow' \
                             WHEN count(*) > 0 THEN 'green' END AS alert_level \
                   FROM market_commodity_alerts a WHERE a.market_id = t.id) pa ON true",
        base_where: None,
        id_sql: "t.id",
        id_type: IdType::Integer,
        geom_type: GeomType::Point,
        geom_sql: "t.geom",
        geom_3857_sql: Some("t.geom_3857"),
        props: MARKETS,
        temporal: None,
        editable: true,
    },
    Collection {
        id: "waste_facilities",
        title: "Fasilitas sampah / Waste facilities",
        description: "TPS, TPS3R, TPST, TPA, bank sampah dan kontainer. / Waste collection \
                      points, recycling sites, the landfill, waste banks and containers.",
        table: "waste_facilities",
        from: "waste_facilities t",
        base_where: None,
        id_sql: "t.id",
        id_type: IdType::Integer,
        geom_type: GeomType::Point,
        geom_sql: "t.geom",
        geom_3857_sql: Some("t.geom_3857"),
        props: WASTE_FACILITIES,
        temporal: None,
        editable: true,
    },
    Collection {
        id: "waste_reports",
        title: "Laporan sampah / Waste reports",
        description: "Laporan warga tentang sampah (hanya kolom publik: tanpa kontak pelapor, \
                      foto atau uraian). / Citizens' waste reports (public fields only: no \
                      reporter contact, photo or description).",
        table: "waste_reports",
        from: "waste_reports t",
        base_where: None,
        id_sql: "t.id",
        id_type: IdType::Integer,
        geom_type: GeomType::Point,
        geom_sql: "t.geom",
        geom_3857_sql: None,
        props: WASTE_REPORTS,
        temporal: Some(("t.reported_at", None)),
        editable: false,
    },
    Collection {
        id: "permits",
        title: "Izin pemanfaatan ruang / Issued permits",
        description: "Persil dengan persetujuan (PKKPR) yang telah terbit (kolom publik saja). / \
                      Parcels with an issued spatial-use permit (public fields only).",
        table: "parcels",
        from: "parcels t LEFT JOIN activities a ON a.kbli_code = t.kbli_code",
        base_where: Some("t.kind = 'izin'"),
        id_sql: "t.id",
        id_type: IdType::Integer,
        geom_type: GeomType::MultiPolygon,
        geom_sql: "t.geom",
        geom_3857_sql: Some("t.geom_3857"),
        props: PERMITS,
        temporal: Some(("t.registered_at", Some("t.valid_until"))),
        editable: false,
    },
];

/// The collection with this id.
pub fn find(id: &str) -> Option<&'static Collection> {
    COLLECTIONS.iter().find(|c| c.id == id)
}

/// Name of the geometry queryable.
pub const GEOMETRY_QUERYABLE: &str = "geometry";

impl Collection {
    pub fn prop(&self, name: &str) -> Option<&'static Prop> {
        self.props.iter().find(|p| p.name == name)
    }

    /// What a filter may name: the queryable properties and the geometry.
    pub fn queryables(&self) -> Vec<Queryable> {
        let mut out: Vec<Queryable> = self
            .props
            .iter()
            .filter(|p| p.queryable)
            .filter_map(|p| match p.ty {
                PType::Scalar(ty) => Some(Queryable {
                    name: p.name.to_string(),
                    sql: p.sql.to_string(),
                    ty,
                }),
                PType::StringArray => None,
            })
            .collect();
        out.push(Queryable {
            name: GEOMETRY_QUERYABLE.to_string(),
            sql: self.geom_sql.to_string(),
            ty: QType::Geometry,
        });
        out
    }

    pub fn queryable_names(&self) -> Vec<String> {
        self.queryables().into_iter().map(|q| q.name).collect()
    }

    /// The `WHERE` condition every feature meets (`TRUE` when none).
    pub fn base_condition(&self) -> &'static str {
        self.base_where.unwrap_or("TRUE")
    }

    /// JSON Schema of one property.
    pub fn prop_schema(&self, prop: &Prop) -> serde_json::Value {
        let mut s = match prop.ty {
            PType::Scalar(QType::String) => serde_json::json!({ "type": "string" }),
            PType::Scalar(QType::Integer) => serde_json::json!({ "type": "integer" }),
            PType::Scalar(QType::Number) => serde_json::json!({ "type": "number" }),
            PType::Scalar(QType::Boolean) => serde_json::json!({ "type": "boolean" }),
            PType::Scalar(QType::Date) => serde_json::json!({ "type": "string", "format": "date" }),
            PType::Scalar(QType::DateTime) => {
                serde_json::json!({ "type": "string", "format": "date-time" })
            }
            PType::Scalar(QType::Geometry) => {
                serde_json::json!({ "format": self.geom_type.schema_format() })
            }
            PType::StringArray => {
                serde_json::json!({ "type": "array", "items": { "type": "string" } })
            }
        };
        s["title"] = prop.title.into();
        if self.editable && prop.column.is_none() {
            s["readOnly"] = true.into();
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_exactly_the_public_ones_and_unique() {
        let ids: Vec<&str> = COLLECTIONS.iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            [
                "zones",
                "overlays",
                "parcels",
                "admin_areas",
                "health_facilities",
                "markets",
                "waste_facilities",
                "waste_reports",
                "permits"
            ]
        );
    }

    #[test]
    fn private_columns_are_never_properties() {
        for c in COLLECTIONS {
            for p in c.props {
                for private in ["reporter_contact", "photo", "description", "application_id"] {
                    assert!(!p.sql.contains(private), "{}.{}", c.id, p.name);
                }
                assert!(
                    p.name
                        .chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'),
                    "{}",
                    p.name
                );
                assert!(p.column.is_none() || c.editable, "{}.{}", c.id, p.name);
            }
        }
    }
}

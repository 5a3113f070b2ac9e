//! The tables an import can load, the attribute names recognised for each column, and the
//! conversion of one feature's attributes into the row written by COPY.
//!
//! Conversion is pure: it reads the attribute values (as text) and the [`Lookups`] loaded from
//! the database before the import started (sub-zone catalogue, code aliases, kelurahan codes
//! and names, ...), and either yields the COPY values or says why the feature is refused.

use std::collections::{HashMap, HashSet};

use super::binary::ColType;

/// A table features can be imported into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Zones,
    Overlays,
    Parcels,
    AdminAreas,
    HealthFacilities,
    Markets,
    WasteFacilities,
}

/// Geometry a table stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeomKind {
    MultiPolygon,
    Point,
}

/// One input attribute of a target: the name users see in `--map` and the attribute names
/// recognised in files (lower case; compared case-insensitively).
pub struct Input {
    pub name: &'static str,
    pub names: &'static [&'static str],
}

const KELURAHAN: Input = Input {
    name: "kelurahan_code",
    names: &[
        "kelurahan_code",
        "kelurahan",
        "kode_kel",
        "kd_kel",
        "kdkel",
        "kode_kelurahan",
        "kode_desa",
    ],
};
const KELURAHAN_NAME: Input = Input {
    name: "kelurahan_name",
    names: &[
        "kelurahan_name",
        "wadmkd",
        "nama_kel",
        "nama_kelurahan",
        "desa",
    ],
};

/// The Permen ATR/BPN 14/2021 overlay flag attributes of a zone (domain-kupang §1.9).
pub const OVERLAY_FLAGS: &[&str] = &[
    "KKOP_1", "LP2B_2", "KRB_03", "TOD_04", "TEB_05", "PUSLIT", "CAGBUD", "RESAIR", "KSMPDN",
    "HANKAM", "KKARST", "PTBGMB", "MGRSAT", "RDBUMI", "TPZ_00",
];

impl Target {
    pub const ALL: [Target; 7] = [
        Target::Zones,
        Target::Overlays,
        Target::Parcels,
        Target::AdminAreas,
        Target::HealthFacilities,
        Target::Markets,
        Target::WasteFacilities,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Zones => "zones",
            Target::Overlays => "overlays",
            Target::Parcels => "parcels",
            Target::AdminAreas => "admin_areas",
            Target::HealthFacilities => "health_facilities",
            Target::Markets => "markets",
            Target::WasteFacilities => "waste_facilities",
        }
    }

    pub fn parse(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn names() -> String {
        Target::ALL.map(|t| t.as_str()).join(", ")
    }

    pub fn geom_kind(self) -> GeomKind {
        match self {
            Target::Zones | Target::Overlays | Target::Parcels | Target::AdminAreas => {
                GeomKind::MultiPolygon
            }
            _ => GeomKind::Point,
        }
    }

    /// Zones and overlays belong to a zoning plan.
    pub fn needs_plan(self) -> bool {
        matches!(self, Target::Zones | Target::Overlays)
    }

    /// The attributes read from a file, in the order [`Target::convert`] receives them.
    pub fn inputs(self) -> &'static [Input] {
        match self {
            Target::Zones => &[
                Input {
                    name: "zone_code",
                    names: &["zone_code", "kodzon", "kode_zona", "zona", "zone"],
                },
                Input {
                    name: "subzone_code",
                    names: &[
                        "subzone_code",
                        "kodszn",
                        "subzone",
                        "kode_subzona",
                        "kode_subzo",
                        "subzona",
                        "sub_zona",
                    ],
                },
                Input {
                    name: "name",
                    names: &["name", "nama", "namobj", "namzon"],
                },
                Input {
                    name: "block_code",
                    names: &["block_code", "kodblk", "blok", "kode_blok"],
                },
                KELURAHAN,
                KELURAHAN_NAME,
                Input {
                    name: "overlay_flags",
                    names: &["overlay_flags", "overlays", "overlay"],
                },
            ],
            Target::Overlays => &[
                Input {
                    name: "kind",
                    names: &["kind", "jenis", "tipe"],
                },
                Input {
                    name: "name",
                    names: &["name", "nama", "namobj"],
                },
                Input {
                    name: "no_building",
                    names: &["no_building", "no_build", "dilarang_bangun", "larangan"],
                },
                Input {
                    name: "height_max_m",
                    names: &["height_max_m", "height_max", "tinggi_maks", "tinggi_max"],
                },
                Input {
                    name: "hazard",
                    names: &["hazard", "bencana", "jenis_bencana"],
                },
                Input {
                    name: "hazard_level",
                    names: &["hazard_level", "hazard_lvl", "tingkat", "tingkat_bahaya"],
                },
                Input {
                    name: "condition_id",
                    names: &["condition_id", "cond_id", "ketentuan", "syarat"],
                },
                Input {
                    name: "condition_en",
                    names: &["condition_en", "cond_en"],
                },
            ],
            Target::Parcels => &[
                Input {
                    name: "kind",
                    names: &["kind", "jenis"],
                },
                Input {
                    name: "parcel_number",
                    names: &[
                        "parcel_number",
                        "parcel_no",
                        "nib",
                        "no_bidang",
                        "nomor_bidang",
                    ],
                },
                Input {
                    name: "land_tenure",
                    names: &["land_tenure", "tenure", "hak", "tipehak", "jenis_hak"],
                },
                KELURAHAN,
                KELURAHAN_NAME,
                Input {
                    name: "permit_number",
                    names: &["permit_number", "permit_no", "no_izin", "nomor_izin"],
                },
                Input {
                    name: "kbli_code",
                    names: &["kbli_code", "kbli"],
                },
                Input {
                    name: "valid_until",
                    names: &["valid_until", "valid_to", "berlaku_sampai"],
                },
                Input {
                    name: "registered_at",
                    names: &["registered_at", "registered", "tgl_daftar"],
                },
            ],
            Target::AdminAreas => &[
                Input {
                    name: "code",
                    names: &["code", "kode", "kode_wilayah", "kdepum", "kdcpum"],
                },
                Input {
                    name: "level",
                    names: &["level", "tingkat"],
                },
                Input {
                    name: "name",
                    names: &["name", "nama", "namobj", "wadmkd"],
                },
                Input {
                    name: "parent_code",
                    names: &["parent_code", "parent", "induk"],
                },
                Input {
                    name: "source",
                    names: &["source", "sumber"],
                },
            ],
            Target::HealthFacilities => &[
                Input {
                    name: "kind",
                    names: &["kind", "jenis", "tipe"],
                },
                Input {
                    name: "code",
                    names: &["code", "kode", "kode_faskes"],
                },
                Input {
                    name: "name",
                    names: &["name", "nama", "namobj"],
                },
                Input {
                    name: "puskesmas_code",
                    names: &["puskesmas_code", "puskesmas", "pkm_code", "induk"],
                },
                KELURAHAN,
                KELURAHAN_NAME,
                Input {
                    name: "address",
                    names: &["address", "alamat"],
                },
            ],
            Target::Markets => &[
                Input {
                    name: "code",
                    names: &["code", "kode"],
                },
                Input {
                    name: "name",
                    names: &["name", "nama", "namobj"],
                },
                KELURAHAN,
                KELURAHAN_NAME,
                Input {
                    name: "address",
                    names: &["address", "alamat"],
                },
                Input {
                    name: "operator",
                    names: &["operator", "pengelola"],
                },
            ],
            Target::WasteFacilities => &[
                Input {
                    name: "kind",
                    names: &["kind", "jenis", "tipe"],
                },
                Input {
                    name: "name",
                    names: &["name", "nama", "namobj"],
                },
                Input {
                    name: "capacity_m3",
                    names: &["capacity_m3", "capacity", "kapasitas"],
                },
                KELURAHAN,
                KELURAHAN_NAME,
                Input {
                    name: "operator",
                    names: &["operator", "pengelola"],
                },
            ],
        }
    }

    /// The columns COPY writes, in the order of [`Target::convert`]'s output, geometry last.
    pub fn copy_columns(self) -> &'static [(&'static str, ColType)] {
        use ColType::{Bool, Date, Geometry, Int4, Numeric, Text, TextArray};
        match self {
            Target::Zones => &[
                ("plan_id", Int4),
                ("zone_code", Text),
                ("subzone_code", Text),
                ("name", Text),
                ("block_code", Text),
                ("kelurahan_code", Text),
                ("overlay_flags", TextArray),
                ("geom", Geometry),
            ],
            Target::Overlays => &[
                ("plan_id", Int4),
                ("kind", Text),
                ("name", Text),
                ("no_building", Bool),
                ("height_max_m", Numeric),
                ("hazard", Text),
                ("hazard_level", Text),
                ("condition_id", Text),
                ("condition_en", Text),
                ("geom", Geometry),
            ],
            Target::Parcels => &[
                ("kind", Text),
                ("parcel_number", Text),
                ("land_tenure", Text),
                ("kelurahan_code", Text),
                ("permit_number", Text),
                ("kbli_code", Text),
                ("valid_until", Date),
                ("registered_at", Date),
                ("geom", Geometry),
            ],
            Target::AdminAreas => &[
                ("code", Text),
                ("level", Text),
                ("name", Text),
                ("parent_code", Text),
                ("source", Text),
                ("geom", Geometry),
            ],
            Target::HealthFacilities => &[
                ("kind", Text),
                ("code", Text),
                ("name", Text),
                ("puskesmas_id", Int4),
                ("kelurahan_code", Text),
                ("address", Text),
                ("geom", Geometry),
            ],
            Target::Markets => &[
                ("code", Text),
                ("name", Text),
                ("kelurahan_code", Text),
                ("address", Text),
                ("operator", Text),
                ("geom", Geometry),
            ],
            Target::WasteFacilities => &[
                ("kind", Text),
                ("name", Text),
                ("capacity_m3", Numeric),
                ("kelurahan_code", Text),
                ("operator", Text),
                ("geom", Geometry),
            ],
        }
    }
}

/// Code tables read from the database before an import, so that every feature is checked in
/// memory and a bad value is reported with its feature instead of failing the COPY.
#[derive(Debug, Default, Clone)]
pub struct Lookups {
    pub plan_id: Option<i32>,
    /// sub-zone code -> zone code
    pub subzones: HashMap<String, String>,
    /// upper-cased alias -> sub-zone code
    pub zone_aliases: HashMap<String, String>,
    pub admin_codes: HashSet<String>,
    /// normalised kelurahan name or alias -> code
    pub kelurahan_names: HashMap<String, String>,
    pub kbli: HashSet<String>,
    /// Puskesmas code -> id
    pub puskesmas: HashMap<String, i32>,
    pub health_codes: HashSet<String>,
    pub market_codes: HashSet<String>,
}

/// Lower case with single spaces: the form names are compared in.
pub fn normalise_name(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Why a feature's attributes were refused, in Bahasa Indonesia and English.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub id: String,
    pub en: String,
}

fn refuse(id: impl Into<String>, en: impl Into<String>) -> Refusal {
    Refusal {
        id: id.into(),
        en: en.into(),
    }
}

/// A COPY value: `None` is NULL.
pub type Value = Option<String>;

fn text(v: &Option<String>) -> Value {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn number(col: &str, v: &Option<String>) -> Result<Value, Refusal> {
    match text(v) {
        None => Ok(None),
        Some(s) => {
            let x: f64 = s.replace(',', ".").parse().map_err(|_| {
                refuse(
                    format!("{col}: '{s}' bukan angka"),
                    format!("{col}: '{s}' is not a number"),
                )
            })?;
            if !x.is_finite() || x < 0.0 {
                return Err(refuse(
                    format!("{col}: {s} harus angka tidak negatif"),
                    format!("{col}: {s} must be a non-negative number"),
                ));
            }
            Ok(Some(x.to_string()))
        }
    }
}

fn boolean(col: &str, v: &Option<String>) -> Result<Option<bool>, Refusal> {
    match text(v).map(|s| s.to_lowercase()) {
        None => Ok(None),
        Some(s) => match s.as_str() {
            "1" | "true" | "t" | "ya" | "y" | "yes" => Ok(Some(true)),
            "0" | "false" | "f" | "tidak" | "n" | "no" => Ok(Some(false)),
            _ => Err(refuse(
                format!("{col}: '{s}' bukan ya/tidak"),
                format!("{col}: '{s}' is not yes/no"),
            )),
        },
    }
}

fn date(col: &str, v: &Option<String>) -> Result<Value, Refusal> {
    match text(v) {
        None => Ok(None),
        Some(s) => {
            // GDAL gives dates as YYYY/MM/DD or YYYY-MM-DD, sometimes with a time.
            let d = s.get(..10).unwrap_or(&s).replace('/', "-");
            chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map(|d| Some(d.to_string()))
                .map_err(|_| {
                    refuse(
                        format!("{col}: '{s}' bukan tanggal (YYYY-MM-DD)"),
                        format!("{col}: '{s}' is not a date (YYYY-MM-DD)"),
                    )
                })
        }
    }
}

fn one_of(col: &str, v: &Option<String>, allowed: &[&str]) -> Result<Value, Refusal> {
    match text(v) {
        None => Ok(None),
        Some(s) => allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(&s))
            .map(|a| Some(a.to_string()))
            .ok_or_else(|| {
                refuse(
                    format!(
                        "{col}: '{s}' tidak dikenal; yang boleh: {}",
                        allowed.join(", ")
                    ),
                    format!("{col}: '{s}' is unknown; allowed: {}", allowed.join(", ")),
                )
            }),
    }
}

fn required(col: &str, v: Value) -> Result<String, Refusal> {
    v.ok_or_else(|| {
        refuse(
            format!("{col} kosong (wajib diisi)"),
            format!("{col} is empty (required)"),
        )
    })
}

/// The kelurahan code from a code or a name attribute.
fn kelurahan(lk: &Lookups, code: &Option<String>, name: &Option<String>) -> Result<Value, Refusal> {
    if let Some(c) = text(code) {
        if lk.admin_codes.contains(&c) {
            return Ok(Some(c));
        }
        return Err(refuse(
            format!("kode kelurahan '{c}' tidak ada di admin_areas"),
            format!("kelurahan code '{c}' is not in admin_areas"),
        ));
    }
    if let Some(n) = text(name) {
        return match lk.kelurahan_names.get(&normalise_name(&n)) {
            Some(c) => Ok(Some(c.clone())),
            None => Err(refuse(
                format!("kelurahan '{n}' tidak dikenal"),
                format!("kelurahan '{n}' is unknown"),
            )),
        };
    }
    Ok(None)
}

/// The catalogue sub-zone of a code as written in a file: the code itself, its alias, or the
/// code with the hyphen the file left out (R2 -> R-2).
pub fn resolve_subzone(lk: &Lookups, raw: &str) -> Option<String> {
    let code = raw.trim().to_uppercase();
    if lk.subzones.contains_key(&code) {
        return Some(code);
    }
    if let Some(s) = lk.zone_aliases.get(&code) {
        return Some(s.clone());
    }
    let split = code.find(|c: char| c.is_ascii_digit())?;
    let (a, b) = code.split_at(split);
    let hyphened = format!("{}-{}", a.trim_end_matches(['-', ' ', '_']), b);
    lk.subzones.contains_key(&hyphened).then_some(hyphened)
}

/// Text of a PostgreSQL array literal of plain identifiers.
fn array_literal(items: &[String]) -> String {
    format!("{{{}}}", items.join(","))
}

/// Converts one feature's attributes (`values[i]` belongs to `inputs()[i]`; `flags` holds the
/// names of the overlay-flag attributes that are set) into the COPY values of
/// [`Target::copy_columns`] without the geometry.
pub fn convert(
    target: Target,
    lk: &Lookups,
    values: &[Option<String>],
    flags: &[&str],
) -> Result<Vec<Value>, Refusal> {
    let v = |i: usize| &values[i];
    match target {
        Target::Zones => {
            let plan = lk.plan_id.map(|p| p.to_string());
            let raw = text(v(1)).or_else(|| text(v(0))).ok_or_else(|| {
                refuse(
                    "kode zona kosong (KODSZN/KODZON)",
                    "the zone code is empty (KODSZN/KODZON)",
                )
            })?;
            let subzone = resolve_subzone(lk, &raw).ok_or_else(|| {
                refuse(
                    format!(
                        "kode zona '{raw}' tidak dikenal (tidak ada di katalog subzona maupun zone_code_aliases)"
                    ),
                    format!(
                        "zone code '{raw}' is unknown (neither in the sub-zone catalogue nor in zone_code_aliases)"
                    ),
                )
            })?;
            let zone = lk.subzones.get(&subzone).cloned();
            let mut all_flags: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
            if let Some(list) = text(v(6)) {
                for f in list
                    .trim_matches(['{', '}'])
                    .split([',', ';', ' '])
                    .map(|s| s.trim().to_uppercase())
                    .filter(|s| !s.is_empty())
                {
                    if !OVERLAY_FLAGS.contains(&f.as_str()) {
                        return Err(refuse(
                            format!("overlay_flags: '{f}' tidak dikenal"),
                            format!("overlay_flags: '{f}' is unknown"),
                        ));
                    }
                    all_flags.push(f);
                }
            }
            all_flags.sort();
            all_flags.dedup();
            Ok(vec![
                plan,
                zone,
                Some(subzone),
                text(v(2)),
                text(v(3)),
                kelurahan(lk, v(4), v(5))?,
                Some(array_literal(&all_flags)),
            ])
        }
        Target::Overlays => {
            let kind = required(
                "kind",
                one_of(
                    "kind",
                    v(0),
                    &[
                        "sempadan_pantai",
                        "sempadan_sungai",
                        "kkop",
                        "krb",
                        "cagar_budaya",
                        "kawasan_lindung",
                    ],
                )?,
            )?;
            let name = required("name", text(v(1)))?;
            let height = number("height_max_m", v(3))?;
            let hazard = text(v(4));
            let level = one_of("hazard_level", v(5), &["rendah", "sedang", "tinggi"])?;
            if kind == "kkop" && height.is_none() {
                return Err(refuse(
                    "KKOP wajib punya height_max_m",
                    "a KKOP overlay needs height_max_m",
                ));
            }
            if kind == "krb" && (hazard.is_none() || level.is_none()) {
                return Err(refuse(
                    "KRB wajib punya hazard dan hazard_level",
                    "a KRB overlay needs hazard and hazard_level",
                ));
            }
            Ok(vec![
                lk.plan_id.map(|p| p.to_string()),
                Some(kind),
                Some(name),
                Some(boolean("no_building", v(2))?.unwrap_or(false).to_string()),
                height,
                hazard,
                level,
                text(v(6)),
                text(v(7)),
            ])
        }
        Target::Parcels => {
            let kind =
                one_of("kind", v(0), &["terdaftar", "izin"])?.unwrap_or_else(|| "terdaftar".into());
            let permit = text(v(5));
            if kind == "izin" && permit.is_none() {
                return Err(refuse(
                    "persil izin wajib punya permit_number",
                    "a permit parcel needs permit_number",
                ));
            }
            let kbli = text(v(6));
            if let Some(k) = &kbli
                && !lk.kbli.contains(k)
            {
                return Err(refuse(
                    format!("KBLI '{k}' tidak dikenal"),
                    format!("KBLI '{k}' is unknown"),
                ));
            }
            Ok(vec![
                Some(kind),
                text(v(1)),
                one_of(
                    "land_tenure",
                    v(2),
                    &["SHM", "HGB", "HP", "HGU", "girik", "lainnya"],
                )?,
                kelurahan(lk, v(3), v(4))?,
                permit,
                kbli,
                date("valid_until", v(7))?,
                date("registered_at", v(8))?,
            ])
        }
        Target::AdminAreas => {
            let code = required("code", text(v(0)))?;
            let derived = match code.split('.').count() {
                2 => "kota",
                3 => "kecamatan",
                4 => "kelurahan",
                _ => {
                    return Err(refuse(
                        format!("kode wilayah '{code}' tidak berbentuk 53.71[.01[.1001]]"),
                        format!("area code '{code}' is not of the form 53.71[.01[.1001]]"),
                    ));
                }
            };
            if let Some(l) = one_of("level", v(1), &["kota", "kecamatan", "kelurahan"])?
                && l != derived
            {
                return Err(refuse(
                    format!("level '{l}' tidak cocok dengan kode '{code}' ({derived})"),
                    format!("level '{l}' does not match code '{code}' ({derived})"),
                ));
            }
            if lk.admin_codes.contains(&code) {
                return Err(refuse(
                    format!("wilayah '{code}' sudah ada"),
                    format!("area '{code}' already exists"),
                ));
            }
            let parent = text(v(3)).or_else(|| {
                (derived != "kota").then(|| code[..code.rfind('.').unwrap_or(0)].to_string())
            });
            Ok(vec![
                Some(code),
                Some(derived.into()),
                Some(required("name", text(v(2)))?),
                parent,
                text(v(4)),
            ])
        }
        Target::HealthFacilities => {
            let kind = required(
                "kind",
                one_of(
                    "kind",
                    v(0),
                    &["puskesmas", "pustu", "posyandu", "rumah_sakit", "klinik"],
                )?,
            )?;
            let code = text(v(1));
            if let Some(c) = &code
                && lk.health_codes.contains(c)
            {
                return Err(refuse(
                    format!("kode fasilitas '{c}' sudah ada"),
                    format!("facility code '{c}' already exists"),
                ));
            }
            let parent = match text(v(3)) {
                None => None,
                Some(p) => Some(
                    lk.puskesmas
                        .get(&p)
                        .ok_or_else(|| {
                            refuse(
                                format!("Puskesmas '{p}' tidak ada; impor Puskesmas dahulu"),
                                format!(
                                    "Puskesmas '{p}' does not exist; import the Puskesmas first"
                                ),
                            )
                        })?
                        .to_string(),
                ),
            };
            if matches!(kind.as_str(), "pustu" | "posyandu") && parent.is_none() {
                return Err(refuse(
                    format!("{kind} wajib punya puskesmas_code"),
                    format!("a {kind} needs puskesmas_code"),
                ));
            }
            Ok(vec![
                Some(kind),
                code,
                Some(required("name", text(v(2)))?),
                parent,
                kelurahan(lk, v(4), v(5))?,
                text(v(6)),
            ])
        }
        Target::Markets => {
            let code = required("code", text(v(0)))?;
            if !code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
            {
                return Err(refuse(
                    format!("kode pasar '{code}' hanya boleh huruf kecil, angka, _ dan -"),
                    format!(
                        "market code '{code}' may hold only lower-case letters, digits, _ and -"
                    ),
                ));
            }
            if lk.market_codes.contains(&code) {
                return Err(refuse(
                    format!("kode pasar '{code}' sudah ada"),
                    format!("market code '{code}' already exists"),
                ));
            }
            Ok(vec![
                Some(code),
                Some(required("name", text(v(1)))?),
                kelurahan(lk, v(2), v(3))?,
                text(v(4)),
                text(v(5)),
            ])
        }
        Target::WasteFacilities => Ok(vec![
            Some(required(
                "kind",
                one_of(
                    "kind",
                    v(0),
                    &["TPS", "TPS3R", "TPST", "TPA", "bank_sampah", "kontainer"],
                )?,
            )?),
            Some(required("name", text(v(1)))?),
            number("capacity_m3", v(2))?,
            kelurahan(lk, v(3), v(4))?,
            text(v(5)),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookups() -> Lookups {
        let mut lk = Lookups {
            plan_id: Some(7),
            ..Default::default()
        };
        lk.subzones.insert("R-2".into(), "R".into());
        lk.subzones.insert("KT".into(), "KT".into());
        lk.zone_aliases.insert("KT-1".into(), "KT".into());
        lk.admin_codes.insert("53.71.04.1001".into());
        lk.kelurahan_names
            .insert("oebobo".into(), "53.71.04.1001".into());
        lk
    }

    fn s(x: &str) -> Option<String> {
        Some(x.into())
    }

    #[test]
    fn zone_codes_resolve_through_catalogue_aliases_and_missing_hyphens() {
        let lk = lookups();
        assert_eq!(resolve_subzone(&lk, "r-2").as_deref(), Some("R-2"));
        assert_eq!(resolve_subzone(&lk, "R2").as_deref(), Some("R-2"));
        assert_eq!(resolve_subzone(&lk, "KT-1").as_deref(), Some("KT"));
        assert_eq!(resolve_subzone(&lk, "ZZ-9"), None);
    }

    #[test]
    fn zone_row_takes_zone_code_from_the_catalogue_and_kelurahan_by_name() {
        let lk = lookups();
        let row = convert(
            Target::Zones,
            &lk,
            &[
                s("X"),
                s("R2"),
                s("Blok A"),
                None,
                None,
                s(" OEBOBO "),
                s("KRB_03"),
            ],
            &["KKOP_1"],
        )
        .unwrap();
        assert_eq!(row[0].as_deref(), Some("7"));
        assert_eq!(row[1].as_deref(), Some("R"));
        assert_eq!(row[2].as_deref(), Some("R-2"));
        assert_eq!(row[5].as_deref(), Some("53.71.04.1001"));
        assert_eq!(row[6].as_deref(), Some("{KKOP_1,KRB_03}"));
        let e = convert(
            Target::Zones,
            &lk,
            &[None, s("Q-9"), None, None, None, None, None],
            &[],
        )
        .unwrap_err();
        assert!(e.en.contains("'Q-9' is unknown"), "{}", e.en);
    }

    #[test]
    fn admin_area_level_and_parent_come_from_the_code() {
        let lk = lookups();
        let row = convert(
            Target::AdminAreas,
            &lk,
            &[s("53.71.04.1008"), None, s("Oetete"), None, None],
            &[],
        )
        .unwrap();
        assert_eq!(row[1].as_deref(), Some("kelurahan"));
        assert_eq!(row[3].as_deref(), Some("53.71.04"));
        assert!(
            convert(
                Target::AdminAreas,
                &lk,
                &[s("53.71.04.1001"), None, s("Oebobo"), None, None],
                &[]
            )
            .is_err()
        );
    }
}

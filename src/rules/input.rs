//! What a check is asked about, how bad input is refused, and KBLI suggestions.

use geo::{Area, Coord, MultiPolygon};
use serde::{Deserialize, Serialize};

use super::crs::{MetricMultiPolygon, vertex_count};
use super::ruleset::{RuleSet, Tolerances};
use super::text::{n_en, n_id};
use super::valid::invalid_reason;

/// The building figures of an application (`POST /api/check` field `building`).
/// Every figure is optional; a rule whose figure is missing reports `info`, not `fail`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildingFigures {
    /// Building footprint (ground coverage), m².
    pub footprint_m2: Option<f64>,
    /// Total floor area of all floors, m².
    pub floor_area_m2: Option<f64>,
    /// Number of floors above ground.
    pub floors: Option<i64>,
    /// Building height, m.
    pub height_m: Option<f64>,
    /// Green (unsealed) area, m².
    pub green_m2: Option<f64>,
    /// Basement footprint, m².
    pub basement_m2: Option<f64>,
}

/// One check: the parcel, what will be built on it, and the figures.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInput {
    /// The parcel in EPSG:32751 metres.
    pub parcel: MetricMultiPolygon,
    /// The building footprint polygon, if drawn (EPSG:32751). Enables the GSB rule and
    /// per-footprint zone and overlay tests.
    pub footprint: Option<MetricMultiPolygon>,
    /// KBLI 2020 code (5 digits).
    pub kbli: String,
    pub building: BuildingFigures,
    pub declared_land_area_m2: Option<f64>,
    /// Intensity variant of `zone_rules` (e.g. `jalan_kolektor`); `None` = the default `''`.
    pub variant: Option<String>,
}

/// Kind of refused input; the HTTP edge maps it to a status with [`CheckErrorKind::http_status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckErrorKind {
    EmptyGeometry,
    InvalidGeometry,
    TooManyVertices,
    InvalidFigure,
    ImpossibleFigures,
    UnknownKbli,
    /// lon/lat input whose numbers look like metres.
    MetresAsDegrees,
    /// lon/lat input with latitude and longitude swapped.
    LonLatSwapped,
    /// lon/lat input far from Kota Kupang.
    OutsideKupang,
}

impl CheckErrorKind {
    /// 413 for too many vertices, 422 for everything else.
    pub fn http_status(self) -> u16 {
        match self {
            CheckErrorKind::TooManyVertices => 413,
            _ => 422,
        }
    }
}

/// A KBLI activity offered as a close match.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivitySuggestion {
    pub kbli_code: String,
    pub title: String,
    pub title_en: String,
}

/// Input the engine refuses, naming the field, in Bahasa Indonesia and English.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[error("{field}: {message_en}")]
pub struct CheckError {
    pub kind: CheckErrorKind,
    /// The request field, e.g. `parcel`, `building.height_m`, `kbli`.
    pub field: String,
    pub message_id: String,
    pub message_en: String,
    /// Close matches for an unknown KBLI (at most 5), else empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<ActivitySuggestion>,
}

impl CheckError {
    pub fn new(
        kind: CheckErrorKind,
        field: impl Into<String>,
        message_id: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        CheckError {
            kind,
            field: field.into(),
            message_id: message_id.into(),
            message_en: message_en.into(),
            suggestions: Vec::new(),
        }
    }
}

/// Refuses empty, non-finite, oversized and invalid (self-intersecting, ...) geometry.
pub(crate) fn validate_geometry(
    field: &str,
    mp: &MultiPolygon<f64>,
    tol: &Tolerances,
) -> Result<f64, CheckError> {
    if mp.0.is_empty() || mp.0.iter().all(|p| p.exterior().0.is_empty()) {
        return Err(CheckError::new(
            CheckErrorKind::EmptyGeometry,
            field,
            "Geometri kosong: gambarkan poligon persil.",
            "The geometry is empty: draw the parcel polygon.",
        ));
    }
    let n = vertex_count(mp);
    if n > tol.max_vertices {
        return Err(CheckError::new(
            CheckErrorKind::TooManyVertices,
            field,
            format!(
                "Geometri memiliki {n} titik; paling banyak {} titik. Sederhanakan poligon.",
                tol.max_vertices
            ),
            format!(
                "The geometry has {n} vertices; at most {} are accepted. Simplify the polygon.",
                tol.max_vertices
            ),
        ));
    }
    if geo::CoordsIter::coords_iter(mp).any(|c| !c.x.is_finite() || !c.y.is_finite()) {
        return Err(CheckError::new(
            CheckErrorKind::InvalidGeometry,
            field,
            "Geometri memuat koordinat yang bukan angka.",
            "The geometry has a coordinate that is not a number.",
        ));
    }
    if let Some((id, en)) = invalid_reason(mp) {
        return Err(CheckError::new(
            CheckErrorKind::InvalidGeometry,
            field,
            format!("Geometri tidak valid: {id}."),
            format!("The geometry is invalid: {en}."),
        ));
    }
    let area = mp.unsigned_area();
    if area <= 0.0 {
        return Err(CheckError::new(
            CheckErrorKind::EmptyGeometry,
            field,
            "Geometri tidak memiliki luas.",
            "The geometry has no area.",
        ));
    }
    Ok(area)
}

fn figure_error(field: &str, id: String, en: String) -> CheckError {
    CheckError::new(
        CheckErrorKind::InvalidFigure,
        format!("building.{field}"),
        id,
        en,
    )
}

fn impossible(field: &str, id: String, en: String) -> CheckError {
    CheckError::new(CheckErrorKind::ImpossibleFigures, field, id, en)
}

/// Refuses negative, non-finite and impossible figures. `footprint_area` is the footprint used
/// by the rules (the figure, or the drawn polygon's area).
pub(crate) fn validate_figures(
    input: &CheckInput,
    parcel_area: f64,
    footprint_area: Option<f64>,
    tol: &Tolerances,
) -> Result<(), CheckError> {
    let b = &input.building;
    let values = [
        ("footprint_m2", b.footprint_m2),
        ("floor_area_m2", b.floor_area_m2),
        ("height_m", b.height_m),
        ("green_m2", b.green_m2),
        ("basement_m2", b.basement_m2),
    ];
    for (field, v) in values {
        let Some(v) = v else { continue };
        if !v.is_finite() {
            return Err(figure_error(
                field,
                format!("{field} harus berupa angka."),
                format!("{field} must be a number."),
            ));
        }
        if v < 0.0 {
            return Err(figure_error(
                field,
                format!("{field} tidak boleh negatif ({}).", n_id(v)),
                format!("{field} must not be negative ({}).", n_en(v)),
            ));
        }
    }
    if let Some(f) = b.floors {
        if f < 1 {
            return Err(figure_error(
                "floors",
                format!("Jumlah lantai harus paling sedikit 1 (diisi {f})."),
                format!("The number of floors must be at least 1 (got {f})."),
            ));
        }
        if f > 200 {
            return Err(figure_error(
                "floors",
                format!("Jumlah lantai {f} tidak masuk akal."),
                format!("{f} floors is not plausible."),
            ));
        }
    }
    if let Some(h) = b.height_m
        && h > 1000.0
    {
        return Err(figure_error(
            "height_m",
            format!("Tinggi bangunan {} m tidak masuk akal.", n_id(h)),
            format!("A building height of {} m is not plausible.", n_en(h)),
        ));
    }
    if let Some(d) = input.declared_land_area_m2
        && (!d.is_finite() || d <= 0.0)
    {
        return Err(CheckError::new(
            CheckErrorKind::InvalidFigure,
            "declared_land_area_m2",
            "Luas lahan yang dinyatakan harus lebih besar dari 0.",
            "The declared land area must be greater than 0.",
        ));
    }

    // Impossible combinations. Small slack for rounding in forms.
    let slack = 0.01;
    if let (Some(fa), Some(fp)) = (b.floor_area_m2, footprint_area)
        && fa + slack < fp
    {
        return Err(impossible(
            "building.floor_area_m2",
            format!(
                "Luas lantai total {} m² lebih kecil dari luas tapak {} m²; satu lantai saja sudah seluas tapak.",
                n_id(fa),
                n_id(fp)
            ),
            format!(
                "The total floor area {} m² is smaller than the footprint {} m²; one floor alone covers the footprint.",
                n_en(fa),
                n_en(fp)
            ),
        ));
    }
    if let (Some(h), Some(f)) = (b.height_m, b.floors) {
        let min = f as f64 * tol.min_metres_per_floor;
        if h + slack < min {
            return Err(impossible(
                "building.height_m",
                format!(
                    "Tinggi {} m terlalu rendah untuk {f} lantai (paling sedikit {} m, {} m per lantai).",
                    n_id(h),
                    n_id(min),
                    n_id(tol.min_metres_per_floor)
                ),
                format!(
                    "A height of {} m is too low for {f} floors (at least {} m, {} m a floor).",
                    n_en(h),
                    n_en(min),
                    n_en(tol.min_metres_per_floor)
                ),
            ));
        }
    }
    if let Some(fp) = footprint_area
        && fp > parcel_area * 1.001 + slack
    {
        let field = if b.footprint_m2.is_some() {
            "building.footprint_m2"
        } else {
            "footprint"
        };
        return Err(impossible(
            field,
            format!(
                "Luas tapak {} m² melebihi luas persil {} m².",
                n_id(fp),
                n_id(parcel_area)
            ),
            format!(
                "The footprint {} m² exceeds the parcel area {} m².",
                n_en(fp),
                n_en(parcel_area)
            ),
        ));
    }
    if let Some(g) = b.green_m2 {
        let built = footprint_area.unwrap_or(0.0);
        if g + built > parcel_area * 1.001 + slack {
            return Err(impossible(
                "building.green_m2",
                format!(
                    "Ruang hijau {} m² ditambah tapak {} m² melebihi luas persil {} m².",
                    n_id(g),
                    n_id(built),
                    n_id(parcel_area)
                ),
                format!(
                    "Green area {} m² plus footprint {} m² exceeds the parcel area {} m².",
                    n_en(g),
                    n_en(built),
                    n_en(parcel_area)
                ),
            ));
        }
    }
    if let Some(bm) = b.basement_m2
        && bm > parcel_area * 1.001 + slack
    {
        return Err(impossible(
            "building.basement_m2",
            format!(
                "Luas basemen {} m² melebihi luas persil {} m².",
                n_id(bm),
                n_id(parcel_area)
            ),
            format!(
                "The basement area {} m² exceeds the parcel area {} m².",
                n_en(bm),
                n_en(parcel_area)
            ),
        ));
    }
    Ok(())
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(|w| w.to_lowercase())
        .collect()
}

impl RuleSet {
    /// Up to `limit` activities close to `query`: by shared KBLI code prefix (at least 2 digits)
    /// for digits, by words of the title and keywords (Indonesian or English) for text. Sorted by
    /// closeness, then code.
    pub fn suggest_activities(&self, query: &str, limit: usize) -> Vec<ActivitySuggestion> {
        let digits: String = query.chars().filter(|c| c.is_ascii_digit()).collect();
        let qwords = words(query);
        let mut scored: Vec<(usize, &super::ruleset::Activity)> = self
            .activities
            .iter()
            .filter_map(|a| {
                let prefix = digits
                    .chars()
                    .zip(a.kbli_code.chars())
                    .take_while(|(x, y)| x == y)
                    .count();
                let prefix = if prefix >= 2 { prefix } else { 0 };
                let hay = words(&format!("{} {} {}", a.title, a.title_en, a.keywords));
                let hits = qwords
                    .iter()
                    .filter(|q| {
                        !q.chars().all(|c| c.is_ascii_digit())
                            && hay.iter().any(|h| h.starts_with(q.as_str()))
                    })
                    .count();
                let score = prefix * 10 + hits;
                (score > 0).then_some((score, a))
            })
            .collect();
        scored.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| a.1.kbli_code.cmp(&b.1.kbli_code))
        });
        scored
            .into_iter()
            .take(limit)
            .map(|(_, a)| ActivitySuggestion {
                kbli_code: a.kbli_code.clone(),
                title: a.title.clone(),
                title_en: a.title_en.clone(),
            })
            .collect()
    }
}

/// The error for a KBLI that is not in the plan's activity list, with close matches.
pub(crate) fn unknown_kbli(rs: &RuleSet, kbli: &str) -> CheckError {
    let shown: String = kbli.chars().take(60).collect();
    let well_formed = kbli.len() == 5 && kbli.chars().all(|c| c.is_ascii_digit());
    let (id, en) = if well_formed {
        (
            format!("Kode KBLI {shown} tidak dikenal dalam daftar kegiatan rencana ini."),
            format!("KBLI code {shown} is not in this plan's activity list."),
        )
    } else {
        (
            format!("\"{shown}\" bukan kode KBLI 2020 (5 angka)."),
            format!("\"{shown}\" is not a KBLI 2020 code (5 digits)."),
        )
    };
    let suggestions = rs.suggest_activities(kbli, 5);
    let (id, en) = if suggestions.is_empty() {
        (id, en)
    } else {
        let list = suggestions
            .iter()
            .map(|s| s.kbli_code.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        (
            format!("{id} Mungkin yang dimaksud: {list}."),
            format!("{en} Did you mean: {list}?"),
        )
    };
    CheckError {
        kind: CheckErrorKind::UnknownKbli,
        field: "kbli".into(),
        message_id: id,
        message_en: en,
        suggestions,
    }
}

/// Rough extent of Kota Kupang with a margin, lon/lat degrees.
const KUPANG_LON: (f64, f64) = (123.4, 123.8);
const KUPANG_LAT: (f64, f64) = (-10.4, -10.0);

/// Diagnoses lon/lat coordinates (x = lon, y = lat, CRS84) before they are transformed:
/// numbers outside ±180/±90 look like metres (suggest the `crs` field); lat ≈ 123 and
/// lon ≈ -10 are swapped; anything outside lon 123.4–123.8, lat -10.4– -10.0 is outside Kupang.
/// `None` when the coordinates look like a parcel in Kupang.
pub fn diagnose_lonlat(
    field: &str,
    coords: impl IntoIterator<Item = Coord<f64>>,
) -> Option<CheckError> {
    let mut n = 0usize;
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for c in coords {
        if !c.x.is_finite() || !c.y.is_finite() {
            return Some(CheckError::new(
                CheckErrorKind::InvalidGeometry,
                field,
                "Geometri memuat koordinat yang bukan angka.",
                "The geometry has a coordinate that is not a number.",
            ));
        }
        n += 1;
        min_x = min_x.min(c.x);
        min_y = min_y.min(c.y);
        max_x = max_x.max(c.x);
        max_y = max_y.max(c.y);
    }
    if n == 0 {
        return None;
    }
    let within = |lo: f64, hi: f64, r: (f64, f64)| lo >= r.0 && hi <= r.1;
    if within(min_x, max_x, KUPANG_LAT) && within(min_y, max_y, KUPANG_LON) {
        return Some(CheckError::new(
            CheckErrorKind::LonLatSwapped,
            field,
            "Lintang dan bujur tertukar: GeoJSON memakai urutan [bujur, lintang], misalnya [123.6, -10.17] untuk Kupang.",
            "Latitude and longitude are swapped: GeoJSON uses [longitude, latitude] order, e.g. [123.6, -10.17] for Kupang.",
        ));
    }
    if min_x < -180.0 || max_x > 180.0 || min_y < -90.0 || max_y > 90.0 {
        return Some(CheckError::new(
            CheckErrorKind::MetresAsDegrees,
            field,
            "Koordinat tampak dalam meter, bukan derajat. Bila koordinat dalam UTM 51S, kirimkan \"crs\": \"EPSG:32751\".",
            "The coordinates look like metres, not degrees. If they are UTM 51S, send \"crs\": \"EPSG:32751\".",
        ));
    }
    if !(within(min_x, max_x, KUPANG_LON) && within(min_y, max_y, KUPANG_LAT)) {
        let hint_id = if within(min_x, max_x, KUPANG_LON) && within(-max_y, -min_y, KUPANG_LAT) {
            " Lintang Kupang bernilai negatif (selatan khatulistiwa)."
        } else {
            ""
        };
        let hint_en = if hint_id.is_empty() {
            ""
        } else {
            " Kupang's latitude is negative (south of the equator)."
        };
        return Some(CheckError::new(
            CheckErrorKind::OutsideKupang,
            field,
            format!(
                "Persil berada di luar Kota Kupang (bujur {}–{}, lintang {}–{}).{hint_id}",
                n_id(min_x),
                n_id(max_x),
                n_id(min_y),
                n_id(max_y)
            ),
            format!(
                "The parcel lies outside Kota Kupang (lon {}–{}, lat {}–{}).{hint_en}",
                n_en(min_x),
                n_en(max_x),
                n_en(min_y),
                n_en(max_y)
            ),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::coord;

    fn square(x: f64, y: f64, d: f64) -> Vec<Coord<f64>> {
        vec![
            coord! {x: x, y: y},
            coord! {x: x + d, y: y},
            coord! {x: x + d, y: y + d},
            coord! {x: x, y: y},
        ]
    }

    #[test]
    fn lonlat_diagnosis() {
        assert_eq!(
            diagnose_lonlat("parcel", square(123.6, -10.17, 0.0005)),
            None
        );
        let e = diagnose_lonlat("parcel", square(566000.0, 8876000.0, 20.0)).unwrap();
        assert_eq!(e.kind, CheckErrorKind::MetresAsDegrees);
        assert!(e.message_en.contains("EPSG:32751"));
        let swapped: Vec<_> = square(123.6, -10.17, 0.0005)
            .into_iter()
            .map(|c| coord! {x: c.y, y: c.x})
            .collect();
        assert_eq!(
            diagnose_lonlat("parcel", swapped).unwrap().kind,
            CheckErrorKind::LonLatSwapped
        );
        let e = diagnose_lonlat("parcel", square(106.8, -6.2, 0.0005)).unwrap();
        assert_eq!(e.kind, CheckErrorKind::OutsideKupang);
        let e = diagnose_lonlat("parcel", square(123.6, 10.17, 0.0005)).unwrap();
        assert!(e.message_en.contains("negative"));
        assert_eq!(diagnose_lonlat("footprint", Vec::new()), None);
    }
}

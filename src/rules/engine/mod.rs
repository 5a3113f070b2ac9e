//! `check`: the rules, applied in a fixed order, and the outcome they add up to.
//!
//! One module per rule group; this one runs them in order over a shared [`Ctx`]:
//!
//! - [`parts`]: the parcel cut by the zones (and the clipping helpers), `plan_area`;
//! - [`figures`]: `geometry`, `land_area`, `footprint_within_parcel`, `footprint_area`;
//! - [`itbx`]: `itbx` and `buildable`, per zone part;
//! - [`overlays`]: special provisions, the no-building ones and the others;
//! - [`intensity`]: the limits of the parts the building uses (`min_parcel` … `floors`);
//! - [`setbacks`]: `gsb`, the distance from the road-facing edges;
//! - [`overlap`]: `parcel_overlap`, registered parcels;
//! - [`outcome`]: `remainder` (the approvable area), the outcome and the decision.

use geo::{Area, MultiPolygon};

use super::decision::{Decision, Finding};
use super::input::{CheckError, CheckInput, unknown_kbli, validate_figures, validate_geometry};
use super::ruleset::{RuleSet, Tolerances};

mod figures;
mod intensity;
mod itbx;
mod outcome;
mod overlap;
mod overlays;
mod parts;
mod setbacks;

use intensity::Height;
use parts::{Pieces, parcel_pieces};

/// What every rule group reads: the rule set, the parcel, the footprint and the activity.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    rs: &'a RuleSet,
    tol: &'a Tolerances,
    parcel: &'a MultiPolygon<f64>,
    /// Measured in EPSG:32751, m².
    parcel_area: f64,
    footprint: Option<&'a MultiPolygon<f64>>,
    /// Area of the drawn footprint, m².
    fp_area: Option<f64>,
    /// The drawn footprint cut into pieces (see [`parts::parcel_pieces`]).
    fp_pieces: Option<&'a Pieces<'a>>,
    /// The KBLI code, trimmed.
    kbli: &'a str,
}

/// What the rules add up, in the order they run: findings (sorted by rule at the end), and the
/// geometries removed from the approvable area.
#[derive(Default)]
struct Out {
    findings: Vec<Finding>,
    removed: Vec<MultiPolygon<f64>>,
}

/// Runs the zoning rules on one parcel.
///
/// # Input
///
/// Refused with a [`CheckError`] (naming the field, in Bahasa Indonesia and English): empty,
/// non-finite or invalid geometry (self-intersections, bow-ties, holes outside the shell) of the
/// parcel or footprint; more than `max_vertices` (10,000) vertices; negative or non-finite
/// figures, floors outside 1..200, height over 1,000 m, a declared area ≤ 0; impossible
/// combinations: floor area below the footprint, height below floors × 2 m, footprint or
/// footprint + green area or basement larger than the parcel; a KBLI code not in the plan
/// (with up to 5 close matches).
///
/// # Zone parts
///
/// The parcel is intersected with the zones whose box meets it, in EPSG:32751. A part is a
/// sliver, listed under `ignored_slivers` and not evaluated, when it is under 1 m², or under both
/// 50 m² and 0.5% of the parcel ([`Tolerances`]). The same test applies to the part of the
/// parcel outside every zone and to overlays touching the parcel.
///
/// # Rules, in report order ([`RuleId`])
///
/// - `geometry`: pass, with the measured area.
/// - `plan_area`: the part outside every zone (outside the city, or in the sea) is removed
///   (`reject_part`); a parcel wholly outside is rejected.
/// - `land_area`: declared vs measured area more than 5% apart → `review`.
/// - `footprint_within_parcel`, `footprint_area`: a drawn footprint must lie in the parcel
///   (else `reject`); the footprint figure and the drawn footprint more than 5% apart → `review`.
/// - `itbx`, per non-sliver part: `X` removes the part (`reject_part`; `reject` when the drawn
///   footprint stands on it), `T`/`B` attach their condition texts (`condition`), `I` passes,
///   no matrix row → `review`.
/// - `buildable`: on a sub-zone where no building is allowed (BJ, BA, ...) but the activity is
///   not X, a footprint on it is rejected; otherwise the part must stay unbuilt (`condition`).
/// - `remainder`: when parts were removed, what is left (the compliant polygon) must be more
///   than a sliver, else `reject`.
/// - Intensity: `intensity_rules` (a used part has no `zone_rules` row → `review`),
///   `min_parcel`, `kdb`, `klb`, `kdh`, `ktb`, `height`, `floors`, `gsb`. The land area they
///   are measured against is the approvable area (the compliant polygon when parts were
///   removed, else the parcel). With several zone parts, the **strictest** limit among the parts
///   the building uses applies (smallest maximum, largest minimum), and the finding names that
///   sub-zone. The parts the building uses are those under the drawn footprint, or, without a
///   footprint, every non-removed buildable part. Height is `height_m`, else floors × 4 m.
///   A figure that is missing gives `info`; a limit that is exceeded gives `reject`.
/// - `gsb` (only with a drawn footprint): distance from the footprint to the stretches of the
///   approvable boundary within 1 m of a BJ zone; closer than the largest `gsb_min_m` → `reject`
///   with the part of the footprint inside the setback.
/// - Overlays (one finding per overlay touching the parcel): with `no_building` (coastal and
///   river setbacks, protected land) building mass inside is refused — the footprint if drawn
///   (`reject` when it enters, else `condition`: keep that part unbuilt), otherwise the parcel's
///   part inside is removed (`reject_part`); KKOP compares the height with its limit (`reject`
///   above, `condition` when the height is unknown or the overlay carries a condition text);
///   KRB, heritage and other overlays attach their condition (`condition`). No overlay →
///   `overlays` pass.
/// - `parcel_overlap`: overlap with a registered parcel over 1 m² or over 1% of the parcel →
///   `review`, with the overlapping geometry; a registered parcel that covers and is covered by
///   the parcel to 95% is the same land (the applicant's own title) → `info`.
///
/// # Outcome
///
/// From the findings' [`Effect`]s, first match wins:
/// 1. any `reject` → `DITOLAK` (this includes "nothing left after removing the rejected parts");
/// 2. any `review` → `PERLU_KAJIAN`;
/// 3. any `reject_part` → `DISETUJUI_SEBAGIAN`, with `compliant_polygon` = the parcel minus
///    the geometries of the `reject_part` findings;
/// 4. any `condition` → `DISETUJUI_BERSYARAT`, with every condition text in `conditions`;
/// 5. otherwise `DISETUJUI`.
///
/// # Determinism
///
/// The rule set is sorted by key when built, zone parts are sorted by sub-zone code, area
/// (largest first) and zone id, findings by rule, and every reported number is rounded
/// (0.01; shares 0.0001), so the same input gives the same decision whatever the order of the
/// rule set's rows.
pub fn check(rs: &RuleSet, input: &CheckInput) -> Result<Decision, CheckError> {
    let tol = &rs.tolerances;
    let parcel = input.parcel.geom();
    let parcel_area = validate_geometry("parcel", parcel, tol)?;
    let footprint = match &input.footprint {
        Some(f) => {
            validate_geometry("footprint", f.geom(), tol)?;
            Some(f.geom())
        }
        None => None,
    };
    let fp_area = footprint.map(|f| f.unsigned_area());
    let kbli = input.kbli.trim();
    let activity = rs.activity(kbli).ok_or_else(|| unknown_kbli(rs, kbli))?;
    let footprint_area = input.building.footprint_m2.or(fp_area);
    validate_figures(input, parcel_area, footprint_area, tol)?;

    let pieces = parcel_pieces(parcel, tol.max_piece_vertices);
    let fp_pieces = footprint.map(|f| parcel_pieces(f, tol.max_piece_vertices));
    let cx = Ctx {
        rs,
        tol,
        parcel,
        parcel_area,
        footprint,
        fp_area,
        fp_pieces: fp_pieces.as_deref(),
        kbli,
    };
    let mut out = Out::default();
    let mut cand = Vec::new();

    out.findings.push(figures::geometry(parcel_area));
    let mut parts = parts::zone_parts(&cx, &pieces, &mut cand);
    parts::plan_area(&cx, &parts, &mut out);
    itbx::itbx_and_buildable(&cx, &mut parts, &mut out);
    // No-building overlays first: they shape the approvable area.
    let hits = overlays::hits(&cx, &pieces, &mut cand);
    overlays::no_building(&cx, &hits, &mut out);
    let area = outcome::remainder(&cx, &mut out);

    let findings = &mut out.findings;
    figures::land_area(&cx, input, findings);
    figures::footprint(&cx, input, findings);
    let height = Height::of(&input.building, tol);
    intensity::intensity(&cx, &parts, &area, input, height, findings);
    overlays::others(&cx, &hits, height, findings);
    overlap::parcel_overlap(&cx, &pieces, &mut cand, findings);

    let mut findings = out.findings;
    findings.sort_by_key(|f| f.rule);
    Ok(outcome::decide(&cx, activity, &parts, findings, area))
}

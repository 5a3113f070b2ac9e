//! The pure zoning rule engine (issue 5), table-driven, no database.
//!
//! The fixture is a small hand-built plan in EPSG:32751 around (566000 E, 8876000 N), given in
//! local metres (x east, y north) from that origin:
//!
//! ```text
//!  y=300 ───────────── coastline (north of it: sea, outside the plan) ──────────────
//!        │ SPU-4 (8) │ R-3 (5)     │ KT (6)          │ C-1 (7)        │  sempadan_pantai 280..300
//!  y=230 ├───────────┴─────────────┼─────────────────┼────────────────┤
//!        │ PS (4): river strip 200..230; sempadan_sungai overlay 195..235         │
//!  y=200 ├─────────────────────────┬──────────────────────────────────┤
//!        │ R-2 (2)                 │ K-1 (3)                          │
//!        │  cagar budaya 20..60 × 150..190   KKOP (15 m) over x 300..400, all y  │
//!        │  KRB banjir 100..150 × 100..150                                       │
//!        │  registered parcel 500: 50..70 × 50..70                               │
//!  y=10  ├─────────────────────────┴──────────────────────────────────┤
//!        │ BJ (1): road body                                                     │
//!  y=0   └──────────────────────────────────────────────────────────────────────┘
//!        x=0 (city boundary)      x=200                             x=400
//! ```

use std::time::Instant;

use geo::{Area, LineString, MultiPolygon, Polygon, coord};
use ruang::rules::*;

const OX: f64 = 566_000.0;
const OY: f64 = 8_876_000.0;

/// A rectangle in local metres, as EPSG:32751.
fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
    Polygon::new(
        LineString::from(vec![
            (OX + x0, OY + y0),
            (OX + x1, OY + y0),
            (OX + x1, OY + y1),
            (OX + x0, OY + y1),
            (OX + x0, OY + y0),
        ]),
        vec![],
    )
}

fn mp(polys: Vec<Polygon<f64>>) -> MetricMultiPolygon {
    Utm51s::new(MultiPolygon::new(polys))
}

fn r(x0: f64, y0: f64, x1: f64, y1: f64) -> MetricMultiPolygon {
    mp(vec![rect(x0, y0, x1, y1)])
}

fn subzone(code: &str, zone: &str, name: &str, buildable: bool) -> Subzone {
    Subzone {
        code: code.into(),
        zone_code: zone.into(),
        zone_group: if matches!(code, "PS" | "BA") {
            "lindung"
        } else {
            "budidaya"
        }
        .into(),
        zone_name: name.into(),
        name: name.into(),
        name_en: format!("{name} (en)"),
        buildable,
    }
}

fn zone(id: i64, sub: &str, zone_code: &str, g: MetricMultiPolygon) -> Zone {
    Zone {
        id,
        zone_code: zone_code.into(),
        subzone_code: sub.into(),
        name: None,
        block_code: None,
        kelurahan_code: None,
        geom: g,
    }
}

#[allow(clippy::too_many_arguments)]
fn zrule(
    sub: &str,
    variant: &str,
    kdb: f64,
    klb: f64,
    kdh: f64,
    ktb: f64,
    height: f64,
    floors: i32,
    gsb: Option<f64>,
    min_parcel: Option<f64>,
) -> ZoneRule {
    ZoneRule {
        subzone_code: sub.into(),
        variant: variant.into(),
        kdb_max_pct: Some(kdb),
        klb_max: Some(klb),
        kdh_min_pct: Some(kdh),
        ktb_max_pct: Some(ktb),
        height_max_m: Some(height),
        floors_max: Some(floors),
        gsb_min_m: gsb,
        jbs_min_m: Some(1.0),
        min_parcel_m2: min_parcel,
        note: None,
    }
}

fn activity(code: &str, title: &str, title_en: &str, keywords: &str) -> Activity {
    Activity {
        kbli_code: code.into(),
        title: title.into(),
        title_en: title_en.into(),
        section: "G".into(),
        keywords: keywords.into(),
    }
}

/// The ITBX matrix of the fixture: `(kbli, [(sub-zone, cell)])`; a cell is `I`, `X` or codes.
const MATRIX: &[(&str, &[(&str, &str)])] = &[
    (
        "68111",
        &[
            ("R-2", "I"),
            ("R-3", "I"),
            ("K-1", "T2"),
            ("KT", "X"),
            ("C-1", "I"),
            ("PS", "X"),
            ("BJ", "X"),
        ],
    ),
    (
        "47112",
        &[
            ("R-2", "T1"),
            ("R-3", "T1"),
            ("K-1", "I"),
            ("KT", "T1"),
            ("C-1", "I"),
            ("PS", "X"),
            ("BJ", "X"),
        ],
    ),
    (
        "47111",
        &[
            ("R-2", "T3"),
            ("R-3", "T3"),
            ("K-1", "I"),
            ("KT", "T1"),
            ("C-1", "I"),
            ("PS", "X"),
            ("BJ", "X"),
        ],
    ),
    (
        "31001",
        &[
            ("R-2", "X"),
            ("R-3", "X"),
            ("K-1", "B1,B3"),
            ("KT", "X"),
            ("C-1", "X"),
            ("PS", "X"),
            ("BJ", "X"),
        ],
    ),
    (
        "38110",
        &[
            ("R-2", "T1,T3"),
            ("R-3", "T1,T3"),
            ("K-1", "T1"),
            ("KT", "T1"),
            ("C-1", "T1"),
            ("PS", "X"),
            ("BJ", "T1"),
        ],
    ),
    (
        "61200",
        &[
            ("R-2", "B2,B4"),
            ("R-3", "B2,B4"),
            ("K-1", "B4"),
            ("KT", "B4"),
            ("C-1", "B4"),
            ("PS", "X"),
            ("BJ", "X"),
        ],
    ),
];

fn activity_rules() -> Vec<ActivityRule> {
    let mut out = Vec::new();
    for (kbli, cells) in MATRIX {
        for (sub, cell) in *cells {
            let (class, codes) = match *cell {
                "I" => (ItbxClass::I, vec![]),
                "X" => (ItbxClass::X, vec![]),
                c => {
                    let codes: Vec<String> = c.split(',').map(String::from).collect();
                    let class = if c.contains('B') {
                        ItbxClass::B
                    } else {
                        ItbxClass::T
                    };
                    (class, codes)
                }
            };
            out.push(ActivityRule {
                subzone_code: (*sub).into(),
                kbli_code: (*kbli).into(),
                class,
                condition_codes: codes,
            });
        }
    }
    out
}

fn overlay(
    id: i64,
    kind: OverlayKind,
    name: &str,
    no_building: bool,
    g: MetricMultiPolygon,
) -> Overlay {
    Overlay {
        id,
        kind,
        name: name.into(),
        no_building,
        height_max_m: None,
        hazard: None,
        hazard_level: None,
        condition_id: None,
        condition_en: None,
        geom: g,
    }
}

fn fixture_data() -> RuleSetData {
    let cond = |code: &str, id: &str, en: &str| RuleCondition {
        code: code.into(),
        text_id: id.into(),
        text_en: en.into(),
    };
    RuleSetData {
        plan: Some(PlanInfo {
            id: 7,
            version: 4,
            name: "RDTR uji".into(),
        }),
        subzones: vec![
            subzone("R-2", "R", "Perumahan Kepadatan Tinggi", true),
            subzone("R-3", "R", "Perumahan Kepadatan Sedang", true),
            subzone("K-1", "K", "Perdagangan dan Jasa Skala Kota", true),
            subzone("KT", "KT", "Perkantoran", true),
            subzone("C-1", "C", "Campuran Intensitas Tinggi", true),
            subzone("PS", "PS", "Perlindungan Setempat", true),
            subzone("SPU-4", "SPU", "Sarana Pelayanan Umum Skala RW", true),
            subzone("BJ", "BJ", "Badan Jalan", false),
        ],
        zones: vec![
            zone(1, "BJ", "BJ", r(0.0, 0.0, 400.0, 10.0)),
            zone(2, "R-2", "R", r(0.0, 10.0, 200.0, 200.0)),
            zone(3, "K-1", "K", r(200.0, 10.0, 400.0, 200.0)),
            zone(4, "PS", "PS", r(0.0, 200.0, 400.0, 230.0)),
            zone(5, "R-3", "R", r(100.0, 230.0, 200.0, 300.0)),
            zone(6, "KT", "KT", r(200.0, 230.0, 300.0, 300.0)),
            zone(7, "C-1", "C", r(300.0, 230.0, 400.0, 300.0)),
            zone(8, "SPU-4", "SPU", r(0.0, 230.0, 100.0, 300.0)),
        ],
        zone_rules: vec![
            zrule(
                "R-2",
                "",
                80.0,
                2.4,
                20.0,
                50.0,
                13.0,
                3,
                Some(5.0),
                Some(120.0),
            ),
            zrule(
                "R-2",
                "jalan_kolektor",
                80.0,
                2.4,
                20.0,
                50.0,
                16.0,
                4,
                Some(7.5),
                Some(120.0),
            ),
            zrule(
                "R-3",
                "",
                70.0,
                2.1,
                20.0,
                40.0,
                9.0,
                2,
                Some(4.0),
                Some(150.0),
            ),
            zrule("K-1", "", 80.0, 3.2, 10.0, 60.0, 21.0, 5, Some(6.0), None),
            zrule("KT", "", 70.0, 2.1, 20.0, 50.0, 12.0, 3, Some(5.0), None),
            zrule("C-1", "", 80.0, 3.2, 20.0, 60.0, 21.0, 5, Some(5.0), None),
            zrule("PS", "", 10.0, 0.1, 90.0, 0.0, 5.0, 1, None, None),
        ],
        activities: vec![
            activity(
                "68111",
                "Real Estat yang Dimiliki Sendiri atau Disewa",
                "Real estate",
                "rumah tinggal, hunian",
            ),
            activity(
                "47111",
                "Perdagangan Eceran di Minimarket",
                "Retail sale in minimarkets",
                "minimarket, swalayan",
            ),
            activity(
                "47112",
                "Perdagangan Eceran Bukan di Minimarket (Tradisional)",
                "Traditional retail",
                "warung, kios, toko kelontong",
            ),
            activity(
                "31001",
                "Industri Furnitur dari Kayu",
                "Manufacture of wooden furniture",
                "mebel, furnitur",
            ),
            activity(
                "38110",
                "Pengumpulan Limbah dan Sampah Tidak Berbahaya",
                "Collection of non-hazardous waste",
                "sampah, TPS",
            ),
            activity(
                "61200",
                "Aktivitas Telekomunikasi Tanpa Kabel",
                "Wireless telecommunications",
                "menara BTS",
            ),
        ],
        conditions: vec![
            cond(
                "T1",
                "Pemanfaatan terbatas: jam operasional dibatasi.",
                "Limited use: restricted operating hours.",
            ),
            cond(
                "T2",
                "Intensitas dikurangi 5-20%.",
                "Intensity reduced by 5-20%.",
            ),
            cond("T3", "Jumlah dibatasi.", "Capped number."),
            cond(
                "B1",
                "Wajib dokumen lingkungan hidup.",
                "Environmental document required.",
            ),
            cond(
                "B2",
                "Wajib persetujuan tetangga.",
                "Neighbour consent required.",
            ),
            cond(
                "B3",
                "Wajib Andalalin.",
                "Traffic impact assessment required.",
            ),
            cond(
                "B4",
                "Wajib rekomendasi teknis instansi sektor.",
                "Sector agency recommendation required.",
            ),
        ],
        activity_rules: activity_rules(),
        overlays: vec![
            overlay(
                100,
                OverlayKind::SempadanSungai,
                "Sempadan Kali Dendeng",
                true,
                r(0.0, 195.0, 400.0, 235.0),
            ),
            Overlay {
                height_max_m: Some(15.0),
                ..overlay(
                    101,
                    OverlayKind::Kkop,
                    "KKOP El Tari - permukaan horizontal dalam",
                    false,
                    r(300.0, 10.0, 400.0, 300.0),
                )
            },
            Overlay {
                hazard: Some("banjir".into()),
                hazard_level: Some("sedang".into()),
                ..overlay(
                    102,
                    OverlayKind::Krb,
                    "Rawan banjir Oebobo",
                    false,
                    r(100.0, 100.0, 150.0, 150.0),
                )
            },
            overlay(
                103,
                OverlayKind::CagarBudaya,
                "Kawasan kota lama",
                false,
                r(20.0, 150.0, 60.0, 190.0),
            ),
            overlay(
                104,
                OverlayKind::SempadanPantai,
                "Sempadan pantai Teluk Kupang",
                true,
                r(0.0, 280.0, 400.0, 300.0),
            ),
        ],
        parcels: vec![RegisteredParcel {
            id: 500,
            kind: "terdaftar".into(),
            parcel_number: Some("53.71.04.1001.00123".into()),
            geom: r(50.0, 50.0, 70.0, 70.0),
        }],
        tolerances: Tolerances::default(),
    }
}

fn fixture() -> RuleSet {
    RuleSet::new(fixture_data()).expect("fixture rule set builds")
}

/// A check input under construction.
#[derive(Clone)]
struct In(CheckInput);

fn on(kbli: &str, parcel: MetricMultiPolygon) -> In {
    In(CheckInput {
        parcel,
        footprint: None,
        kbli: kbli.into(),
        building: BuildingFigures::default(),
        declared_land_area_m2: None,
        variant: None,
    })
}

impl In {
    fn footprint(mut self, g: MetricMultiPolygon) -> Self {
        self.0.footprint = Some(g);
        self
    }
    fn fp(mut self, m2: f64) -> Self {
        self.0.building.footprint_m2 = Some(m2);
        self
    }
    fn floor_area(mut self, m2: f64) -> Self {
        self.0.building.floor_area_m2 = Some(m2);
        self
    }
    fn floors(mut self, n: i64) -> Self {
        self.0.building.floors = Some(n);
        self
    }
    fn height(mut self, m: f64) -> Self {
        self.0.building.height_m = Some(m);
        self
    }
    fn green(mut self, m2: f64) -> Self {
        self.0.building.green_m2 = Some(m2);
        self
    }
    fn basement(mut self, m2: f64) -> Self {
        self.0.building.basement_m2 = Some(m2);
        self
    }
    fn declared(mut self, m2: f64) -> Self {
        self.0.declared_land_area_m2 = Some(m2);
        self
    }
    fn variant(mut self, v: &str) -> Self {
        self.0.variant = Some(v.into());
        self
    }
    /// A typical house: 50% footprint, 2 floors, 25% green.
    fn house(self, parcel_m2: f64) -> Self {
        self.fp(parcel_m2 * 0.5)
            .floor_area(parcel_m2)
            .floors(2)
            .green(parcel_m2 * 0.25)
    }
}

fn finding(d: &Decision, rule: RuleId) -> &Finding {
    d.findings
        .iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| {
            panic!(
                "no {} finding in {}",
                rule.as_str(),
                serde_json::to_string_pretty(d).unwrap()
            )
        })
}

fn geom_area(f: &Finding) -> f64 {
    f.geometry
        .as_ref()
        .map(|g| g.geom().unsigned_area())
        .unwrap_or(0.0)
}

fn close(a: f64, b: f64, eps: f64) -> bool {
    (a - b).abs() <= eps
}

/// Invariants every decision must keep.
fn assert_well_formed(name: &str, d: &Decision) {
    assert_eq!(
        (d.plan_id, d.plan_version),
        (7, 4),
        "{name}: plan id and version"
    );
    for f in &d.findings {
        assert!(
            !f.message_id.trim().is_empty(),
            "{name}: {} has no Indonesian message",
            f.rule.as_str()
        );
        assert!(
            !f.message_en.trim().is_empty(),
            "{name}: {} has no English message",
            f.rule.as_str()
        );
        assert_ne!(
            f.message_id,
            f.message_en,
            "{name}: {} messages are not translated",
            f.rule.as_str()
        );
        for c in &f.conditions {
            assert!(
                !c.text_id.is_empty() && !c.text_en.is_empty(),
                "{name}: condition {} without text",
                c.code
            );
        }
        if f.effect == Effect::RejectPart {
            assert!(
                f.geometry.is_some(),
                "{name}: {} removes a part without its geometry",
                f.rule.as_str()
            );
        }
    }
    assert!(
        d.findings.windows(2).all(|w| w[0].rule <= w[1].rule),
        "{name}: findings are in rule order"
    );
    assert!(!d.summary_id.is_empty() && !d.summary_en.is_empty());
    assert_eq!(
        d.compliant_polygon.is_some(),
        d.outcome == Outcome::DisetujuiSebagian
            || (d.outcome == Outcome::PerluKajian && d.compliant_polygon.is_some()),
        "{name}: compliant polygon only for partial approvals"
    );
    if d.outcome == Outcome::DisetujuiBersyarat {
        assert!(
            !d.conditions.is_empty(),
            "{name}: conditional approval without conditions"
        );
    }
    // Serialises, with the field names of the issue.
    let v = serde_json::to_value(d).unwrap();
    for key in [
        "outcome",
        "zones",
        "findings",
        "plan_id",
        "plan_version",
        "compliant_polygon",
    ] {
        assert!(v.get(key).is_some(), "{name}: JSON has no {key}");
    }
}

type Extra = fn(&Decision);

struct Case {
    name: &'static str,
    input: In,
    outcome: Outcome,
    /// Findings that must be present, with their status.
    expect: &'static [(RuleId, Status)],
    extra: Extra,
}

fn none(_: &Decision) {}

fn cases() -> Vec<Case> {
    use Outcome::*;
    use RuleId as R;
    use Status::*;
    vec![
        Case {
            name: "simple compliant house",
            input: on("68111", r(20.0, 30.0, 35.0, 50.0))
                .house(300.0)
                .declared(300.0),
            outcome: Disetujui,
            expect: &[
                (R::Geometry, Pass),
                (R::PlanArea, Pass),
                (R::LandArea, Pass),
                (R::Itbx, Pass),
                (R::MinParcel, Pass),
                (R::Kdb, Pass),
                (R::Klb, Pass),
                (R::Kdh, Pass),
                (R::Height, Pass),
                (R::Floors, Pass),
                (R::Gsb, Info),
                (R::Overlays, Pass),
                (R::ParcelOverlap, Pass),
            ],
            extra: |d| {
                assert_eq!(d.parcel_area_m2, 300.0);
                assert_eq!(d.zones.len(), 1);
                assert_eq!(
                    (
                        d.zones[0].zone_id,
                        d.zones[0].subzone_code.as_str(),
                        d.zones[0].share
                    ),
                    (2, "R-2", 1.0)
                );
                assert_eq!(finding(d, RuleId::Kdb).measured, Some(50.0));
                assert_eq!(finding(d, RuleId::Kdb).limit, Some(80.0));
                assert_eq!(finding(d, RuleId::Klb).measured, Some(1.0));
                assert_eq!(finding(d, RuleId::Height).measured, Some(8.0));
                assert!(d.conditions.is_empty() && d.compliant_polygon.is_none());
                assert_eq!(d.approvable_area_m2, 300.0);
            },
        },
        Case {
            name: "shop in R-2 is T1: approved with the condition text",
            input: on("47112", r(20.0, 30.0, 35.0, 50.0)).house(300.0),
            outcome: DisetujuiBersyarat,
            expect: &[(R::Itbx, Condition)],
            extra: |d| {
                let f = finding(d, RuleId::Itbx);
                assert_eq!(f.conditions.len(), 1);
                assert_eq!(f.conditions[0].code, "T1");
                assert!(f.conditions[0].text_id.contains("jam operasional"));
                assert_eq!(
                    d.conditions
                        .iter()
                        .map(|c| c.code.as_str())
                        .collect::<Vec<_>>(),
                    ["T1"]
                );
                assert_eq!(d.zones[0].itbx, Some(ItbxClass::T));
            },
        },
        Case {
            name: "tower in R-2 is B2,B4",
            input: on("61200", r(20.0, 30.0, 35.0, 50.0)),
            outcome: DisetujuiBersyarat,
            expect: &[(R::Itbx, Condition)],
            extra: |d| {
                let codes: Vec<&str> = d.conditions.iter().map(|c| c.code.as_str()).collect();
                assert_eq!(codes, ["B2", "B4"]);
                assert_eq!(d.zones[0].itbx, Some(ItbxClass::B));
            },
        },
        Case {
            name: "house in K-1 is T2",
            input: on("68111", r(250.0, 50.0, 270.0, 70.0)).house(400.0),
            outcome: DisetujuiBersyarat,
            expect: &[(R::Itbx, Condition), (R::Kdh, Pass)],
            extra: |d| assert_eq!(d.conditions[0].code, "T2"),
        },
        Case {
            name: "industry in R-2 is X: rejected",
            input: on("31001", r(20.0, 30.0, 40.0, 60.0)),
            outcome: Ditolak,
            expect: &[(R::Itbx, Fail), (R::Remainder, Fail)],
            extra: |d| {
                let f = finding(d, RuleId::Itbx);
                assert_eq!(f.effect, Effect::RejectPart);
                assert!(close(geom_area(f), 600.0, 0.01));
                assert_eq!(finding(d, RuleId::Remainder).effect, Effect::Reject);
                assert_eq!(d.approvable_area_m2, 0.0);
                assert!(d.compliant_polygon.is_none());
            },
        },
        Case {
            name: "industry across R-2 (X) and K-1 (B): approved in part",
            input: on("31001", r(190.0, 50.0, 220.0, 70.0)),
            outcome: DisetujuiSebagian,
            expect: &[(R::Itbx, Fail), (R::Itbx, Condition), (R::Remainder, Pass)],
            extra: |d| {
                assert_eq!(d.parcel_area_m2, 600.0);
                let zones: Vec<(&str, f64, f64)> = d
                    .zones
                    .iter()
                    .map(|z| (z.subzone_code.as_str(), z.area_m2, z.share))
                    .collect();
                assert_eq!(zones, [("K-1", 400.0, 0.6667), ("R-2", 200.0, 0.3333)]);
                let cp = d.compliant_polygon.as_ref().expect("compliant polygon");
                assert!(close(cp.geom().unsigned_area(), 400.0, 0.01));
                assert_eq!(d.approvable_area_m2, 400.0);
                let x = d
                    .findings
                    .iter()
                    .find(|f| f.rule == RuleId::Itbx && f.status == Status::Fail)
                    .unwrap();
                assert_eq!(
                    (x.zone_id, x.subzone_code.as_deref()),
                    (Some(2), Some("R-2"))
                );
                assert!(close(geom_area(x), 200.0, 0.01));
            },
        },
        Case {
            name: "industry across R-2 and K-1 with the footprint on the X part: rejected",
            input: on("31001", r(190.0, 50.0, 220.0, 70.0)).footprint(r(192.0, 55.0, 210.0, 65.0)),
            outcome: Ditolak,
            expect: &[(R::Itbx, Fail)],
            extra: |d| {
                let x = d
                    .findings
                    .iter()
                    .find(|f| f.rule == RuleId::Itbx && f.status == Status::Fail)
                    .unwrap();
                assert_eq!(x.effect, Effect::Reject);
            },
        },
        Case {
            name: "partial approval measures intensity on the compliant part",
            input: on("31001", r(190.0, 50.0, 220.0, 70.0))
                .fp(350.0)
                .floor_area(350.0),
            outcome: Ditolak,
            expect: &[(R::Kdb, Fail), (R::Klb, Pass)],
            extra: |d| {
                // 350 / 400 (the K-1 part), not 350 / 600.
                assert_eq!(finding(d, RuleId::Kdb).measured, Some(87.5));
            },
        },
        Case {
            name: "shop across R-3, KT and C-1 (three zones)",
            input: on("47112", r(190.0, 240.0, 310.0, 260.0)).floors(2),
            outcome: DisetujuiBersyarat,
            expect: &[
                (R::Itbx, Condition),
                (R::Itbx, Pass),
                (R::Height, Pass),
                (R::OverlayKkop, Pass),
            ],
            extra: |d| {
                let zones: Vec<(&str, f64, f64)> = d
                    .zones
                    .iter()
                    .map(|z| (z.subzone_code.as_str(), z.area_m2, z.share))
                    .collect();
                assert_eq!(
                    zones,
                    [
                        ("C-1", 200.0, 0.0833),
                        ("KT", 2000.0, 0.8333),
                        ("R-3", 200.0, 0.0833)
                    ]
                );
                assert_eq!(d.findings_of(RuleId::Itbx).count(), 3);
                // The strictest height of the three parts is R-3's 9 m.
                let h = finding(d, RuleId::Height);
                assert_eq!(
                    (h.measured, h.limit, h.subzone_code.as_deref()),
                    (Some(8.0), Some(9.0), Some("R-3"))
                );
                assert_eq!(finding(d, RuleId::Floors).limit, Some(2.0));
            },
        },
        Case {
            name: "house across R-2 and K-1: strictest limits of both parts",
            input: on("68111", r(180.0, 50.0, 220.0, 70.0))
                .fp(400.0)
                .floor_area(800.0)
                .green(200.0)
                .height(14.0),
            outcome: Ditolak,
            expect: &[(R::Height, Fail), (R::Kdh, Pass), (R::Kdb, Pass)],
            extra: |d| {
                let h = finding(d, RuleId::Height);
                assert_eq!(
                    (h.limit, h.subzone_code.as_deref()),
                    (Some(13.0), Some("R-2"))
                );
                let kdh = finding(d, RuleId::Kdh);
                assert_eq!(
                    (kdh.limit, kdh.subzone_code.as_deref()),
                    (Some(20.0), Some("R-2"))
                );
            },
        },
        Case {
            name: "footprint only in K-1: K-1's limits apply",
            input: on("68111", r(180.0, 50.0, 240.0, 70.0))
                .footprint(r(206.0, 55.0, 230.0, 65.0))
                .height(16.0),
            outcome: DisetujuiBersyarat,
            expect: &[(R::Height, Pass), (R::Itbx, Pass), (R::Itbx, Condition)],
            extra: |d| {
                let h = finding(d, RuleId::Height);
                assert_eq!(
                    (h.limit, h.subzone_code.as_deref()),
                    (Some(21.0), Some("K-1"))
                );
            },
        },
        Case {
            name: "sliver of K-1 along the boundary is ignored",
            input: on("68111", r(170.0, 50.0, 200.1, 70.0)).house(602.0),
            outcome: Disetujui,
            expect: &[(R::Itbx, Pass)],
            extra: |d| {
                assert_eq!(d.zones.len(), 1);
                assert_eq!(d.ignored_slivers.len(), 1);
                let s = &d.ignored_slivers[0];
                assert_eq!(
                    (s.subzone_code.as_str(), s.area_m2, s.itbx),
                    ("K-1", 2.0, None)
                );
                assert_eq!(d.findings_of(RuleId::Itbx).count(), 1);
            },
        },
        Case {
            name: "polygon with a hole",
            input: on(
                "68111",
                mp(vec![Polygon::new(
                    rect(20.0, 30.0, 50.0, 60.0).exterior().clone(),
                    vec![rect(30.0, 40.0, 40.0, 50.0).exterior().clone()],
                )]),
            )
            .fp(400.0)
            .floor_area(800.0),
            outcome: Disetujui,
            expect: &[(R::Kdb, Pass), (R::Klb, Pass)],
            extra: |d| {
                assert_eq!(d.parcel_area_m2, 800.0);
                assert_eq!(finding(d, RuleId::Kdb).measured, Some(50.0));
                assert_eq!(d.zones[0].area_m2, 800.0);
            },
        },
        Case {
            name: "multipolygon of two lots",
            input: on(
                "68111",
                mp(vec![
                    rect(20.0, 30.0, 30.0, 50.0),
                    rect(40.0, 30.0, 50.0, 50.0),
                ]),
            )
            .fp(150.0),
            outcome: Disetujui,
            expect: &[(R::Kdb, Pass)],
            extra: |d| {
                assert_eq!(d.parcel_area_m2, 400.0);
                assert_eq!(d.zones.len(), 1);
                assert_eq!(finding(d, RuleId::Kdb).measured, Some(37.5));
            },
        },
        Case {
            name: "parcel across the city boundary: the outside part is removed",
            input: on("68111", r(-10.0, 50.0, 10.0, 70.0)),
            outcome: DisetujuiSebagian,
            expect: &[(R::PlanArea, Fail), (R::Remainder, Pass)],
            extra: |d| {
                let f = finding(d, RuleId::PlanArea);
                assert_eq!((f.effect, f.measured), (Effect::RejectPart, Some(200.0)));
                assert!(close(geom_area(f), 200.0, 0.01));
                assert_eq!(d.approvable_area_m2, 200.0);
            },
        },
        Case {
            name: "parcel wholly outside the plan",
            input: on("68111", r(-100.0, 50.0, -80.0, 70.0)),
            outcome: Ditolak,
            expect: &[(R::PlanArea, Fail)],
            extra: |d| {
                assert_eq!(finding(d, RuleId::PlanArea).effect, Effect::Reject);
                assert!(d.zones.is_empty());
            },
        },
        Case {
            name: "parcel across the coastline and into the coastal setback",
            input: on("68111", r(120.0, 260.0, 140.0, 310.0)),
            outcome: DisetujuiSebagian,
            expect: &[
                (R::PlanArea, Fail),
                (R::OverlaySempadanPantai, Fail),
                (R::Remainder, Pass),
            ],
            extra: |d| {
                assert_eq!(finding(d, RuleId::PlanArea).measured, Some(200.0));
                assert_eq!(
                    finding(d, RuleId::OverlaySempadanPantai).measured,
                    Some(400.0)
                );
                assert_eq!(
                    finding(d, RuleId::OverlaySempadanPantai).overlay_id,
                    Some(104)
                );
                let cp = d.compliant_polygon.as_ref().unwrap();
                assert!(close(cp.geom().unsigned_area(), 400.0, 0.01));
            },
        },
        Case {
            name: "footprint too close to the road: GSB fails with the distance",
            input: on("68111", r(20.0, 10.0, 40.0, 40.0))
                .footprint(r(24.0, 12.0, 36.0, 30.0))
                .floors(2),
            outcome: Ditolak,
            expect: &[(R::Gsb, Fail)],
            extra: |d| {
                let f = finding(d, RuleId::Gsb);
                assert_eq!(
                    (f.measured, f.limit, f.unit),
                    (Some(2.0), Some(5.0), Some("m"))
                );
                // The part of the footprint inside the 5 m setback: 12 m × 3 m.
                assert!(close(geom_area(f), 36.0, 0.5), "{}", geom_area(f));
            },
        },
        Case {
            name: "footprint behind the GSB; side edges touching the road do not count",
            input: on("68111", r(20.0, 10.0, 40.0, 40.0))
                .footprint(r(21.0, 16.0, 39.0, 30.0))
                .floors(2),
            outcome: Disetujui,
            expect: &[(R::Gsb, Pass), (R::FootprintWithinParcel, Pass)],
            extra: |d| assert_eq!(finding(d, RuleId::Gsb).measured, Some(6.0)),
        },
        Case {
            name: "GSB with a parcel edge 0.5 m off the road still faces it",
            input: on("68111", r(20.0, 10.5, 40.0, 40.0)).footprint(r(24.0, 13.0, 36.0, 30.0)),
            outcome: Ditolak,
            expect: &[(R::Gsb, Fail)],
            extra: |d| assert_eq!(finding(d, RuleId::Gsb).measured, Some(2.5)),
        },
        Case {
            name: "no road next to the parcel: GSB not applicable",
            input: on("68111", r(20.0, 60.0, 40.0, 90.0)).footprint(r(22.0, 62.0, 38.0, 80.0)),
            outcome: Disetujui,
            expect: &[(R::Gsb, Info)],
            extra: none,
        },
        Case {
            name: "KDB over the limit",
            input: on("68111", r(20.0, 30.0, 35.0, 50.0))
                .fp(250.0)
                .floor_area(250.0),
            outcome: Ditolak,
            expect: &[(R::Kdb, Fail), (R::Klb, Pass)],
            extra: |d| {
                let f = finding(d, RuleId::Kdb);
                assert_eq!(
                    (f.measured, f.limit, f.unit, f.effect),
                    (Some(83.33), Some(80.0), Some("pct"), Effect::Reject)
                );
            },
        },
        Case {
            name: "KLB over the limit",
            input: on("68111", r(20.0, 30.0, 35.0, 50.0))
                .fp(200.0)
                .floor_area(800.0)
                .floors(4)
                .height(12.0),
            outcome: Ditolak,
            expect: &[
                (R::Klb, Fail),
                (R::Kdb, Pass),
                (R::Floors, Fail),
                (R::Height, Pass),
            ],
            extra: |d| {
                let f = finding(d, RuleId::Klb);
                assert_eq!(
                    (f.measured, f.limit, f.unit),
                    (Some(2.67), Some(2.4), Some("ratio"))
                );
            },
        },
        Case {
            name: "KDH below the minimum",
            input: on("68111", r(20.0, 30.0, 35.0, 50.0)).fp(150.0).green(30.0),
            outcome: Ditolak,
            expect: &[(R::Kdh, Fail)],
            extra: |d| assert_eq!(finding(d, RuleId::Kdh).measured, Some(10.0)),
        },
        Case {
            name: "KTB over the limit",
            input: on("68111", r(20.0, 30.0, 35.0, 50.0)).basement(200.0),
            outcome: Ditolak,
            expect: &[(R::Ktb, Fail)],
            extra: |d| {
                let f = finding(d, RuleId::Ktb);
                assert_eq!((f.measured, f.limit), (Some(66.67), Some(50.0)));
            },
        },
        Case {
            name: "height from floors only: 4 floors × 4 m",
            input: on("68111", r(20.0, 30.0, 35.0, 50.0)).floors(4),
            outcome: Ditolak,
            expect: &[(R::Height, Fail), (R::Floors, Fail)],
            extra: |d| {
                let f = finding(d, RuleId::Height);
                assert_eq!((f.measured, f.limit), (Some(16.0), Some(13.0)));
                assert!(f.message_id.contains("4 lantai × 4 m"), "{}", f.message_id);
                assert!(f.message_en.contains("4 floors × 4 m"), "{}", f.message_en);
            },
        },
        Case {
            name: "height from floors only: 3 floors pass",
            input: on("68111", r(20.0, 30.0, 35.0, 50.0)).floors(3),
            outcome: Disetujui,
            expect: &[(R::Height, Pass), (R::Floors, Pass), (R::Kdb, Info)],
            extra: |d| assert_eq!(finding(d, RuleId::Height).measured, Some(12.0)),
        },
        Case {
            name: "collector-road variant allows 4 floors",
            input: on("68111", r(20.0, 30.0, 35.0, 50.0))
                .floors(4)
                .variant("jalan_kolektor"),
            outcome: Disetujui,
            expect: &[(R::Height, Pass), (R::Floors, Pass)],
            extra: |d| assert_eq!(finding(d, RuleId::Height).limit, Some(16.0)),
        },
        Case {
            name: "KKOP: 18 m is within K-1 but above the 15 m surface",
            input: on("47112", r(320.0, 50.0, 340.0, 70.0))
                .height(18.0)
                .floors(5),
            outcome: Ditolak,
            expect: &[(R::OverlayKkop, Fail), (R::Height, Pass)],
            extra: |d| {
                let f = finding(d, RuleId::OverlayKkop);
                assert_eq!(
                    (f.measured, f.limit, f.overlay_id),
                    (Some(18.0), Some(15.0), Some(101))
                );
                assert!(close(geom_area(f), 400.0, 0.01));
            },
        },
        Case {
            name: "KKOP: 12 m passes",
            input: on("47112", r(320.0, 50.0, 340.0, 70.0)).height(12.0),
            outcome: Disetujui,
            expect: &[(R::OverlayKkop, Pass)],
            extra: none,
        },
        Case {
            name: "KKOP: unknown height attaches the height condition",
            input: on("47112", r(320.0, 50.0, 340.0, 70.0)),
            outcome: DisetujuiBersyarat,
            expect: &[(R::OverlayKkop, Condition)],
            extra: |d| {
                assert_eq!(d.conditions[0].code, "kkop-101");
                assert!(d.conditions[0].text_id.contains("15 m"));
            },
        },
        Case {
            name: "river setback without a footprint: that part is removed",
            input: on("68111", r(100.0, 180.0, 120.0, 200.0)),
            outcome: DisetujuiSebagian,
            expect: &[(R::OverlaySempadanSungai, Fail), (R::Remainder, Pass)],
            extra: |d| {
                let f = finding(d, RuleId::OverlaySempadanSungai);
                assert_eq!((f.effect, f.measured), (Effect::RejectPart, Some(100.0)));
                assert!(close(
                    d.compliant_polygon.as_ref().unwrap().geom().unsigned_area(),
                    300.0,
                    0.01
                ));
            },
        },
        Case {
            name: "building in the river setback: rejected with the offending part",
            input: on("68111", r(100.0, 180.0, 120.0, 200.0))
                .footprint(r(104.0, 185.0, 116.0, 198.0)),
            outcome: Ditolak,
            expect: &[(R::OverlaySempadanSungai, Fail)],
            extra: |d| {
                let f = finding(d, RuleId::OverlaySempadanSungai);
                assert_eq!(f.effect, Effect::Reject);
                assert!(close(geom_area(f), 36.0, 0.01));
                assert_eq!(f.measured, Some(36.0));
            },
        },
        Case {
            name: "footprint outside the river setback: keep that part unbuilt",
            input: on("68111", r(100.0, 170.0, 120.0, 200.0))
                .footprint(r(104.0, 175.0, 116.0, 194.0)),
            outcome: DisetujuiBersyarat,
            expect: &[(R::OverlaySempadanSungai, Condition)],
            extra: |d| assert_eq!(d.conditions[0].code, "sempadan_sungai-100"),
        },
        Case {
            name: "parcel in the river strip (PS, X for housing)",
            input: on("68111", r(100.0, 205.0, 120.0, 225.0)),
            outcome: Ditolak,
            expect: &[
                (R::Itbx, Fail),
                (R::OverlaySempadanSungai, Fail),
                (R::Remainder, Fail),
            ],
            extra: none,
        },
        Case {
            name: "KRB attaches the mitigation condition",
            input: on("68111", r(110.0, 110.0, 130.0, 130.0)).house(400.0),
            outcome: DisetujuiBersyarat,
            expect: &[(R::OverlayKrb, Condition)],
            extra: |d| {
                let f = finding(d, RuleId::OverlayKrb);
                assert!(f.message_id.contains("banjir") && f.message_id.contains("sedang"));
                assert_eq!(d.conditions[0].code, "krb-102");
            },
        },
        Case {
            name: "heritage area attaches the heritage condition",
            input: on("68111", r(30.0, 160.0, 50.0, 180.0)),
            outcome: DisetujuiBersyarat,
            expect: &[(R::OverlayCagarBudaya, Condition)],
            extra: |d| assert!(d.conditions[0].text_id.contains("Cagar Budaya")),
        },
        Case {
            name: "declared area 10% off the measured area",
            input: on("68111", r(20.0, 30.0, 35.0, 50.0)).declared(330.0),
            outcome: PerluKajian,
            expect: &[(R::LandArea, Fail)],
            extra: |d| {
                let f = finding(d, RuleId::LandArea);
                assert_eq!(
                    (f.measured, f.limit, f.effect),
                    (Some(10.0), Some(5.0), Effect::Review)
                );
            },
        },
        Case {
            name: "declared area 3% off is accepted",
            input: on("68111", r(20.0, 30.0, 35.0, 50.0)).declared(291.0),
            outcome: Disetujui,
            expect: &[(R::LandArea, Pass)],
            extra: none,
        },
        Case {
            name: "overlap with a registered parcel",
            input: on("68111", r(60.0, 60.0, 80.0, 80.0)),
            outcome: PerluKajian,
            expect: &[(R::ParcelOverlap, Fail)],
            extra: |d| {
                let f = finding(d, RuleId::ParcelOverlap);
                assert_eq!((f.measured, f.parcel_id), (Some(100.0), Some(500)));
                assert!(close(geom_area(f), 100.0, 0.01));
            },
        },
        Case {
            name: "the applicant's own registered parcel is the same land, not an overlap",
            input: on("68111", r(50.0, 50.0, 70.0, 70.2)),
            outcome: Disetujui,
            expect: &[(R::ParcelOverlap, Info)],
            extra: |d| {
                let f = finding(d, RuleId::ParcelOverlap);
                assert_eq!(
                    (f.parcel_id, f.effect, f.measured),
                    (Some(500), Effect::None, Some(400.0))
                );
            },
        },
        Case {
            name: "a registered neighbour sharing an edge is no overlap",
            input: on("68111", r(70.0, 50.0, 90.0, 70.0)),
            outcome: Disetujui,
            expect: &[(R::ParcelOverlap, Pass)],
            extra: none,
        },
        Case {
            name: "below the minimum parcel size",
            input: on("68111", r(20.0, 30.0, 30.0, 40.0)),
            outcome: Ditolak,
            expect: &[(R::MinParcel, Fail)],
            extra: |d| {
                let f = finding(d, RuleId::MinParcel);
                assert_eq!((f.measured, f.limit), (Some(100.0), Some(120.0)));
            },
        },
        Case {
            name: "no ITBX row and no intensity rule (SPU-4): review",
            input: on("68111", r(20.0, 240.0, 40.0, 260.0)).floors(1),
            outcome: PerluKajian,
            expect: &[(R::Itbx, Info), (R::IntensityRules, Info)],
            extra: |d| assert_eq!(finding(d, RuleId::Itbx).effect, Effect::Review),
        },
        Case {
            name: "house parcel reaching into the road body (BJ, X): road part removed",
            input: on("68111", r(20.0, 5.0, 40.0, 40.0)),
            outcome: DisetujuiSebagian,
            expect: &[(R::Itbx, Fail), (R::Itbx, Pass)],
            extra: |d| {
                assert_eq!(d.approvable_area_m2, 600.0);
                assert_eq!(d.zones[0].subzone_code, "BJ");
            },
        },
        Case {
            name: "GSB is measured from the compliant boundary when the road part is removed",
            input: on("68111", r(20.0, 5.0, 40.0, 40.0)).footprint(r(24.0, 16.0, 36.0, 30.0)),
            outcome: DisetujuiSebagian,
            expect: &[(R::Gsb, Pass), (R::Itbx, Fail)],
            extra: |d| {
                assert_eq!(finding(d, RuleId::Gsb).measured, Some(6.0));
                assert_eq!(d.approvable_area_m2, 600.0);
            },
        },
        Case {
            name: "waste collection point allowed in BJ, which must stay unbuilt",
            input: on("38110", r(20.0, 5.0, 40.0, 40.0)),
            outcome: DisetujuiBersyarat,
            expect: &[(R::Buildable, Condition), (R::Itbx, Condition)],
            extra: |d| {
                assert_eq!(
                    finding(d, RuleId::Buildable).subzone_code.as_deref(),
                    Some("BJ")
                )
            },
        },
        Case {
            name: "waste collection building on the road body: rejected",
            input: on("38110", r(20.0, 5.0, 40.0, 40.0)).footprint(r(22.0, 6.0, 38.0, 20.0)),
            outcome: Ditolak,
            expect: &[(R::Buildable, Fail)],
            extra: |d| assert!(close(geom_area(finding(d, RuleId::Buildable)), 64.0, 0.01)),
        },
        Case {
            name: "footprint outside the parcel",
            input: on("68111", r(20.0, 30.0, 35.0, 50.0)).footprint(r(25.0, 35.0, 40.0, 45.0)),
            outcome: Ditolak,
            expect: &[(R::FootprintWithinParcel, Fail)],
            extra: |d| {
                assert_eq!(
                    finding(d, RuleId::FootprintWithinParcel).measured,
                    Some(50.0)
                )
            },
        },
        Case {
            name: "footprint figure disagrees with the drawn footprint",
            input: on("68111", r(20.0, 30.0, 35.0, 50.0))
                .footprint(r(22.0, 32.0, 32.0, 42.0))
                .fp(150.0),
            outcome: PerluKajian,
            expect: &[(R::FootprintArea, Fail), (R::Kdb, Pass)],
            extra: |d| assert_eq!(finding(d, RuleId::Kdb).measured, Some(50.0)),
        },
    ]
}

#[test]
fn table_of_decisions() {
    let rs = fixture();
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in cases {
        let result = std::panic::catch_unwind(|| {
            let d = check(&rs, &c.input.0).unwrap_or_else(|e| panic!("refused: {e}"));
            let dump = || serde_json::to_string_pretty(&d).unwrap();
            assert_eq!(d.outcome, c.outcome, "outcome\n{}", dump());
            for (rule, status) in c.expect {
                assert!(
                    d.findings
                        .iter()
                        .any(|f| f.rule == *rule && f.status == *status),
                    "no {} finding with status {status:?}\n{}",
                    rule.as_str(),
                    dump()
                );
            }
            assert_well_formed(c.name, &d);
            (c.extra)(&d);
        });
        if let Err(e) = result {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("--- {}: {msg}", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

struct ErrCase {
    name: &'static str,
    input: CheckInput,
    kind: CheckErrorKind,
    field: &'static str,
}

fn bowtie() -> MetricMultiPolygon {
    mp(vec![Polygon::new(
        LineString::from(vec![
            (OX + 20.0, OY + 30.0),
            (OX + 40.0, OY + 50.0),
            (OX + 40.0, OY + 30.0),
            (OX + 20.0, OY + 50.0),
            (OX + 20.0, OY + 30.0),
        ]),
        vec![],
    )])
}

fn circle(n: usize) -> MetricMultiPolygon {
    let mut pts: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            (OX + 50.0 + 20.0 * a.cos(), OY + 50.0 + 20.0 * a.sin())
        })
        .collect();
    pts.push(pts[0]);
    mp(vec![Polygon::new(LineString::from(pts), vec![])])
}

fn error_cases() -> Vec<ErrCase> {
    use CheckErrorKind as K;
    let house = || on("68111", r(20.0, 30.0, 35.0, 50.0));
    vec![
        ErrCase {
            name: "self-intersecting bow-tie",
            input: on("68111", bowtie()).0,
            kind: K::InvalidGeometry,
            field: "parcel",
        },
        ErrCase {
            name: "empty parcel",
            input: on("68111", mp(vec![])).0,
            kind: K::EmptyGeometry,
            field: "parcel",
        },
        ErrCase {
            name: "too many vertices",
            input: on("68111", circle(10_001)).0,
            kind: K::TooManyVertices,
            field: "parcel",
        },
        ErrCase {
            name: "invalid footprint",
            input: house().footprint(bowtie()).0,
            kind: K::InvalidGeometry,
            field: "footprint",
        },
        ErrCase {
            name: "non-finite coordinate",
            input: on(
                "68111",
                mp(vec![Polygon::new(
                    LineString::from(vec![
                        (f64::NAN, 0.0),
                        (1.0, 0.0),
                        (1.0, 1.0),
                        (f64::NAN, 0.0),
                    ]),
                    vec![],
                )]),
            )
            .0,
            kind: K::InvalidGeometry,
            field: "parcel",
        },
        ErrCase {
            name: "negative footprint",
            input: house().fp(-5.0).0,
            kind: K::InvalidFigure,
            field: "building.footprint_m2",
        },
        ErrCase {
            name: "negative green area",
            input: house().green(-1.0).0,
            kind: K::InvalidFigure,
            field: "building.green_m2",
        },
        ErrCase {
            name: "zero floors",
            input: house().floors(0).0,
            kind: K::InvalidFigure,
            field: "building.floors",
        },
        ErrCase {
            name: "declared area zero",
            input: house().declared(0.0).0,
            kind: K::InvalidFigure,
            field: "declared_land_area_m2",
        },
        ErrCase {
            name: "floor area below the footprint",
            input: house().fp(150.0).floor_area(100.0).floors(1).0,
            kind: K::ImpossibleFigures,
            field: "building.floor_area_m2",
        },
        ErrCase {
            name: "height below floors × 2 m",
            input: house().floors(3).height(5.0).0,
            kind: K::ImpossibleFigures,
            field: "building.height_m",
        },
        ErrCase {
            name: "green plus footprint larger than the parcel",
            input: house().fp(200.0).green(150.0).0,
            kind: K::ImpossibleFigures,
            field: "building.green_m2",
        },
        ErrCase {
            name: "footprint larger than the parcel",
            input: house().fp(400.0).0,
            kind: K::ImpossibleFigures,
            field: "building.footprint_m2",
        },
        ErrCase {
            name: "unknown KBLI",
            input: on("47119", r(20.0, 30.0, 35.0, 50.0)).0,
            kind: K::UnknownKbli,
            field: "kbli",
        },
    ]
}

#[test]
fn table_of_refused_inputs() {
    let rs = fixture();
    for c in error_cases() {
        let e = check(&rs, &c.input).expect_err(c.name);
        assert_eq!(
            (e.kind, e.field.as_str()),
            (c.kind, c.field),
            "{}: {e:?}",
            c.name
        );
        assert!(
            !e.message_id.is_empty() && !e.message_en.is_empty() && e.message_id != e.message_en,
            "{}",
            c.name
        );
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["field"], c.field);
    }
}

#[test]
fn too_many_vertices_is_413() {
    let e = check(&fixture(), &on("68111", circle(10_001)).0).unwrap_err();
    assert_eq!(e.kind.http_status(), 413);
    assert!(e.message_en.contains("10002 vertices") && e.message_en.contains("10000"));
    // 10,000 vertices (closing point included) are still accepted.
    assert!(check(&fixture(), &on("68111", circle(9_999)).0).is_ok());
}

#[test]
fn unknown_kbli_suggests_close_matches() {
    let rs = fixture();
    let e = check(&rs, &on("47119", r(20.0, 30.0, 35.0, 50.0)).0).unwrap_err();
    let codes: Vec<&str> = e.suggestions.iter().map(|s| s.kbli_code.as_str()).collect();
    assert_eq!(codes, ["47111", "47112"]);
    assert!(e.message_id.contains("47111") && e.message_en.contains("Did you mean"));

    let e = check(&rs, &on("warung kelontong", r(20.0, 30.0, 35.0, 50.0)).0).unwrap_err();
    assert_eq!(e.kind, CheckErrorKind::UnknownKbli);
    assert_eq!(e.suggestions[0].kbli_code, "47112");
    assert!(e.message_en.contains("not a KBLI 2020 code"));

    assert!(rs.suggest_activities("99999", 5).is_empty());
    assert!(rs.suggest_activities("4", 5).is_empty());
    assert!(rs.suggest_activities("47", 1).len() == 1);
}

#[test]
fn lonlat_diagnosis() {
    let ring = |pts: &[(f64, f64)]| {
        pts.iter()
            .map(|&(x, y)| coord! {x: x, y: y})
            .collect::<Vec<_>>()
    };
    let kupang = [
        (123.60, -10.170),
        (123.601, -10.170),
        (123.601, -10.171),
        (123.60, -10.170),
    ];
    assert!(diagnose_lonlat("parcel", ring(&kupang)).is_none());
    let metres = [
        (566_000.0, 8_876_000.0),
        (566_020.0, 8_876_000.0),
        (566_020.0, 8_876_020.0),
    ];
    let e = diagnose_lonlat("parcel", ring(&metres)).unwrap();
    assert_eq!(
        (e.kind, e.field.as_str()),
        (CheckErrorKind::MetresAsDegrees, "parcel")
    );
    assert!(e.message_id.contains("\"crs\"") && e.message_en.contains("EPSG:32751"));
    let swapped: Vec<(f64, f64)> = kupang.iter().map(|&(x, y)| (y, x)).collect();
    assert_eq!(
        diagnose_lonlat("parcel", ring(&swapped)).unwrap().kind,
        CheckErrorKind::LonLatSwapped
    );
    let jakarta = [(106.8, -6.2), (106.801, -6.2), (106.801, -6.201)];
    assert_eq!(
        diagnose_lonlat("parcel", ring(&jakarta)).unwrap().kind,
        CheckErrorKind::OutsideKupang
    );
}

#[test]
fn deterministic_whatever_the_order_of_the_rule_set() {
    let rs = fixture();
    let inputs: Vec<CheckInput> = cases().into_iter().map(|c| c.input.0).collect();
    let reference: Vec<String> = inputs
        .iter()
        .map(|i| serde_json::to_string(&check(&rs, i).unwrap()).unwrap())
        .collect();
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    for round in 0..5 {
        let mut data = fixture_data();
        shuffle(&mut data.zones, &mut seed);
        shuffle(&mut data.overlays, &mut seed);
        shuffle(&mut data.activities, &mut seed);
        shuffle(&mut data.activity_rules, &mut seed);
        shuffle(&mut data.zone_rules, &mut seed);
        shuffle(&mut data.subzones, &mut seed);
        shuffle(&mut data.conditions, &mut seed);
        if round % 2 == 1 {
            data.zones.reverse();
        }
        let shuffled = RuleSet::new(data).unwrap();
        for (i, input) in inputs.iter().enumerate() {
            let json = serde_json::to_string(&check(&shuffled, input).unwrap()).unwrap();
            assert_eq!(json, reference[i], "round {round}, case {i}");
        }
    }
    // And the same input twice gives the same bytes.
    assert_eq!(
        serde_json::to_string(&check(&rs, &inputs[0]).unwrap()).unwrap(),
        reference[0]
    );
}

#[test]
fn decision_json_uses_the_issue_names() {
    let d = check(&fixture(), &on("31001", r(190.0, 50.0, 220.0, 70.0)).0).unwrap();
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(v["outcome"], "DISETUJUI_SEBAGIAN");
    assert_eq!(v["plan_id"], 7);
    assert_eq!(v["plan_version"], 4);
    assert_eq!(v["zones"][0]["subzone_code"], "K-1");
    assert_eq!(v["zones"][0]["itbx"], "B");
    let x = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "itbx" && f["status"] == "fail")
        .unwrap();
    assert_eq!(x["effect"], "reject_part");
    assert_eq!(x["unit"], "m2");
    assert_eq!(x["geometry"]["type"], "MultiPolygon");
    assert!(
        x["message_id"]
            .as_str()
            .unwrap()
            .contains("tidak diizinkan")
    );
    assert_eq!(v["compliant_polygon"]["type"], "MultiPolygon");
}

#[test]
fn rule_set_refuses_bad_references() {
    let mut data = fixture_data();
    data.zones.push(zone(2, "R-2", "R", r(0.0, 0.0, 1.0, 1.0)));
    assert!(matches!(
        RuleSet::new(data),
        Err(RuleSetError::Duplicate { what: "zone", .. })
    ));
    let mut data = fixture_data();
    data.zones.push(zone(99, "R-9", "R", r(0.0, 0.0, 1.0, 1.0)));
    assert!(matches!(
        RuleSet::new(data),
        Err(RuleSetError::UnknownSubzone { .. })
    ));
    let mut data = fixture_data();
    data.activity_rules.push(ActivityRule {
        subzone_code: "R-2".into(),
        kbli_code: "00000".into(),
        class: ItbxClass::I,
        condition_codes: vec![],
    });
    assert!(matches!(
        RuleSet::new(data),
        Err(RuleSetError::UnknownActivity { .. })
    ));
    let mut data = fixture_data();
    data.plan = None;
    assert!(matches!(RuleSet::new(data), Err(RuleSetError::MissingPlan)));
}

#[test]
fn zoning_at_a_point() {
    let rs = fixture();
    let z = rs.zones_at(OX + 50.0, OY + 50.0);
    assert_eq!(z.iter().map(|z| z.id).collect::<Vec<_>>(), [2]);
    let cells = rs.itbx_in("R-2");
    assert_eq!(
        cells
            .iter()
            .map(|c| c.kbli_code.as_str())
            .collect::<Vec<_>>(),
        ["31001", "38110", "47111", "47112", "61200", "68111"]
    );
    assert_eq!(
        rs.zone_rule("R-2", "jalan_kolektor").unwrap().floors_max,
        Some(4)
    );
    assert_eq!(rs.zone_rule("K-1", "jalan_kolektor").unwrap().variant, "");
}

#[test]
fn large_zones_are_cut_into_pieces_without_changing_results() {
    // One R-2 zone drawn with 4,000 vertices (a wavy south edge): the rule set cuts it into
    // pieces of at most 256 vertices; the parts must still add up.
    let mut data = fixture_data();
    let mut pts = Vec::new();
    let n = 4000;
    for i in 0..=n {
        let x = 200.0 * i as f64 / n as f64;
        pts.push((OX + x, OY + 10.0 + 0.05 * (x * 3.0).sin()));
    }
    pts.push((OX + 200.0, OY + 200.0));
    pts.push((OX, OY + 200.0));
    pts.push(pts[0]);
    data.zones.retain(|z| z.id != 2);
    data.zones.push(zone(
        2,
        "R-2",
        "R",
        mp(vec![Polygon::new(LineString::from(pts), vec![])]),
    ));
    let rs = RuleSet::new(data).unwrap();
    let d = check(&rs, &on("68111", r(75.0, 20.0, 195.0, 95.0)).0).unwrap();
    assert_eq!(d.outcome, Outcome::Disetujui);
    assert_eq!(d.zones.len(), 1);
    assert!(close(d.zones[0].area_m2, 120.0 * 75.0, 0.01));
    assert!(format!("{rs:?}").contains("zone_pieces"));
}

// ---------------------------------------------------------------------------------------------
// Micro benchmark: `cargo test --release --test rules_engine -- --ignored --nocapture bench`
// ---------------------------------------------------------------------------------------------

/// SplitMix64: a tiny deterministic generator for the benchmark and the shuffles.
fn next(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unit(seed: &mut u64) -> f64 {
    (next(seed) >> 11) as f64 / (1u64 << 53) as f64
}

fn shuffle<T>(v: &mut [T], seed: &mut u64) {
    for i in (1..v.len()).rev() {
        let j = (next(seed) % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

/// A synthetic city of 13 km × 12 km: 60 × 50 = 3,000 block zones on a jittered grid whose
/// shared edges wiggle (~20 vertices a zone), every 7th column a road body; a KKOP surface over
/// the whole city and a winding river setback (both cut into pieces at build); 12 KRB areas; a
/// lattice of 60,000 registered parcels.
fn synthetic_city() -> RuleSet {
    let (w, h) = (13_000.0, 12_000.0);
    let (nx, ny) = (60usize, 50usize);
    let (cw, ch) = (w / nx as f64, h / ny as f64);
    let mut seed = 42u64;
    // Grid corners, jittered.
    let mut corner = vec![vec![(0.0, 0.0); ny + 1]; nx + 1];
    for (i, col) in corner.iter_mut().enumerate() {
        for (j, c) in col.iter_mut().enumerate() {
            let jx = if i == 0 || i == nx {
                0.0
            } else {
                (unit(&mut seed) - 0.5) * cw * 0.3
            };
            let jy = if j == 0 || j == ny {
                0.0
            } else {
                (unit(&mut seed) - 0.5) * ch * 0.3
            };
            *c = (OX + i as f64 * cw + jx, OY + j as f64 * ch + jy);
        }
    }
    // A wiggly edge between two corners, the same for both neighbours.
    let edge = |a: (f64, f64), b: (f64, f64), key: u64| -> Vec<(f64, f64)> {
        let mut s = key;
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt();
        let (nx_, ny_) = (-dy / len, dx / len);
        let mut pts = vec![a];
        for k in 1..5 {
            let t = k as f64 / 5.0;
            let off = (unit(&mut s) - 0.5) * 6.0;
            pts.push((a.0 + t * dx + off * nx_, a.1 + t * dy + off * ny_));
        }
        pts
    };
    let hkey = |i: usize, j: usize| (i * 1000 + j) as u64 * 2 + 1;
    let vkey = |i: usize, j: usize| (i * 1000 + j) as u64 * 2 + 2;
    let subzones = ["R-2", "R-3", "K-1", "KT", "C-1", "R-2", "PS", "SPU-4"];
    let mut zones = Vec::new();
    for i in 0..nx {
        for j in 0..ny {
            let (c00, c10, c11, c01) = (
                corner[i][j],
                corner[i + 1][j],
                corner[i + 1][j + 1],
                corner[i][j + 1],
            );
            let mut ring = edge(c00, c10, hkey(i, j));
            ring.extend(edge(c10, c11, vkey(i + 1, j)));
            let mut top = edge(c01, c11, hkey(i, j + 1));
            top.push(c11);
            top.reverse();
            top.pop();
            ring.extend(top);
            let mut left = edge(c00, c01, vkey(i, j));
            left.push(c01);
            left.reverse();
            left.pop();
            ring.extend(left);
            ring.push(c00);
            let sub = if i % 7 == 3 {
                "BJ"
            } else {
                subzones[(next(&mut seed) % subzones.len() as u64) as usize]
            };
            let zone_code = sub.split('-').next().unwrap();
            zones.push(zone(
                (i * ny + j) as i64 + 1,
                sub,
                zone_code,
                mp(vec![Polygon::new(LineString::from(ring), vec![])]),
            ));
        }
    }
    // KKOP over everything, with 1,200 vertices on its outline.
    let mut kkop = Vec::new();
    for k in 0..1200 {
        let a = k as f64 / 1200.0 * std::f64::consts::TAU;
        kkop.push((
            OX + w / 2.0 + 0.75 * w * a.cos(),
            OY + h / 2.0 + 0.75 * h * a.sin(),
        ));
    }
    kkop.push(kkop[0]);
    // A winding river setback: a 60 m band along a sine, 2,000 vertices.
    let mut north = Vec::new();
    let mut south = Vec::new();
    for k in 0..=1000 {
        let x = w * k as f64 / 1000.0;
        let y = h / 2.0 + 800.0 * (x / 1300.0).sin();
        north.push((OX + x, OY + y + 30.0));
        south.push((OX + x, OY + y - 30.0));
    }
    south.reverse();
    let mut river = north;
    river.extend(south);
    river.push(river[0]);
    let mut overlays = vec![
        Overlay {
            height_max_m: Some(45.0),
            ..overlay(
                1,
                OverlayKind::Kkop,
                "KKOP",
                false,
                mp(vec![Polygon::new(LineString::from(kkop), vec![])]),
            )
        },
        overlay(
            2,
            OverlayKind::SempadanSungai,
            "Sungai",
            true,
            mp(vec![Polygon::new(LineString::from(river), vec![])]),
        ),
    ];
    for k in 0..12 {
        let (x, y) = (unit(&mut seed) * (w - 800.0), unit(&mut seed) * (h - 800.0));
        overlays.push(Overlay {
            hazard: Some("longsor".into()),
            hazard_level: Some("sedang".into()),
            ..overlay(
                10 + k,
                OverlayKind::Krb,
                "KRB",
                false,
                r(x, y, x + 800.0, y + 800.0),
            )
        });
    }
    // 250 columns × 240 rows = 60,000 lots of 52 m × 50 m, each parcel 2 m inside its lot.
    let (px, py) = (250usize, 240usize);
    let (sx, sy) = (w / px as f64, h / py as f64);
    let mut parcels = Vec::with_capacity(px * py);
    for i in 0..px {
        for j in 0..py {
            let (x, y) = (i as f64 * sx, j as f64 * sy);
            parcels.push(RegisteredParcel {
                id: (i * py + j) as i64 + 1,
                kind: "terdaftar".into(),
                parcel_number: None,
                geom: r(x + 2.0, y + 2.0, x + sx - 2.0, y + sy - 2.0),
            });
        }
    }
    let mut data = fixture_data();
    data.zones = zones;
    data.overlays = overlays;
    data.parcels = parcels;
    RuleSet::new(data).unwrap()
}

/// A random parcel of 100–5,000 m²: a rotated rectangle or a star-shaped polygon of 5–12
/// vertices, with a footprint half of the time.
fn random_input(seed: &mut u64) -> CheckInput {
    let area = 100.0 + unit(seed) * 4900.0;
    let (cx, cy) = (300.0 + unit(seed) * 12_400.0, 300.0 + unit(seed) * 11_400.0);
    let rot = unit(seed) * std::f64::consts::PI;
    let ring: Vec<(f64, f64)> = if next(seed).is_multiple_of(2) {
        let aspect = 0.5 + unit(seed) * 1.5;
        let a = (area * aspect).sqrt() / 2.0;
        let b = area / (4.0 * a);
        [(-a, -b), (a, -b), (a, b), (-a, b)]
            .iter()
            .map(|&(x, y)| (x, y))
            .collect()
    } else {
        let n = 5 + (next(seed) % 8) as usize;
        let radius = (area / std::f64::consts::PI).sqrt();
        (0..n)
            .map(|k| {
                let t = k as f64 / n as f64 * std::f64::consts::TAU;
                let rr = radius * (0.8 + 0.4 * unit(seed));
                (rr * t.cos(), rr * t.sin())
            })
            .collect()
    };
    let place = |scale: f64| -> MetricMultiPolygon {
        let mut pts: Vec<(f64, f64)> = ring
            .iter()
            .map(|&(x, y)| {
                let (x, y) = (x * scale, y * scale);
                (
                    OX + cx + x * rot.cos() - y * rot.sin(),
                    OY + cy + x * rot.sin() + y * rot.cos(),
                )
            })
            .collect();
        pts.push(pts[0]);
        mp(vec![Polygon::new(LineString::from(pts), vec![])])
    };
    // A third of the applications are for a registered lot of the synthetic city.
    let lot = next(seed).is_multiple_of(3);
    let (lx, ly) = (
        (next(seed) % 250) as f64 * 52.0,
        (next(seed) % 240) as f64 * 50.0,
    );
    let parcel = if lot {
        r(lx + 2.0, ly + 2.0, lx + 50.0, ly + 48.0)
    } else {
        place(1.0)
    };
    let parcel_area = parcel.geom().unsigned_area();
    let kblis = ["68111", "47111", "47112", "31001", "38110", "61200"];
    let mut input = on(kblis[(next(seed) % kblis.len() as u64) as usize], parcel)
        .fp(parcel_area * 0.5)
        .floor_area(parcel_area * (0.5 + unit(seed)))
        .floors(1 + (next(seed) % 4) as i64)
        .green(parcel_area * 0.2)
        .declared(parcel_area * (0.97 + unit(seed) * 0.1));
    if next(seed).is_multiple_of(2) {
        input = input.footprint(if lot {
            r(lx + 8.0, ly + 10.0, lx + 44.0, ly + 40.0)
        } else {
            place(0.7)
        });
        input.0.building.footprint_m2 = None;
    }
    input.0
}

#[test]
#[ignore = "benchmark: run by hand with --release --ignored --nocapture"]
fn bench_random_checks() {
    let t = Instant::now();
    let rs = synthetic_city();
    println!(
        "rule set: {rs:?}\nbuilt in {:.0} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    let mut seed = 7u64;
    let inputs: Vec<CheckInput> = (0..10_000).map(|_| random_input(&mut seed)).collect();
    // Each parcel is checked 3 times in a row: `first` is the cold single-shot time, `best`
    // the fastest of the 3 (filters out preemption on a busy machine).
    let mut first = Vec::with_capacity(inputs.len());
    let mut best = Vec::with_capacity(inputs.len());
    let mut outcomes = std::collections::BTreeMap::new();
    let mut gsb = std::collections::BTreeMap::new();
    let all = Instant::now();
    for input in &inputs {
        let mut runs = [0.0f64; 3];
        for (k, run) in runs.iter_mut().enumerate() {
            let t = Instant::now();
            let d = check(&rs, input).expect("random parcels are valid");
            *run = t.elapsed().as_secs_f64() * 1000.0;
            if k == 0 {
                *outcomes.entry(d.outcome.as_str()).or_insert(0) += 1;
                let status = d
                    .findings_of(RuleId::Gsb)
                    .next()
                    .map(|f| format!("{:?}", f.status));
                *gsb.entry(status.unwrap_or_else(|| "not applied".into()))
                    .or_insert(0) += 1;
            }
        }
        first.push(runs[0]);
        best.push(runs.iter().copied().fold(f64::INFINITY, f64::min));
    }
    let total = all.elapsed().as_secs_f64();
    for (label, times) in [("single-shot", &mut first), ("best of 3", &mut best)] {
        times.sort_by(f64::total_cmp);
        let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        println!(
            "10,000 checks, {label}: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms, mean {:.3} ms",
            pct(0.5),
            pct(0.9),
            pct(0.99),
            times[times.len() - 1],
            mean
        );
    }
    println!("throughput: {:.0} checks/s on one thread", 30_000.0 / total);
    println!("gsb statuses: {gsb:?}");
    println!("outcomes: {outcomes:?}");

    // Worst case the input limits allow: a 10,000-vertex parcel of about 3 km² (a circle of
    // 1 km radius) over ~80 zones, the river, KKOP pieces and ~1,200 registered parcels, with a
    // 10,000-vertex footprint.
    let circle = |radius: f64| {
        let n = 9_999;
        let mut pts: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                (
                    OX + 6_500.0 + radius * a.cos(),
                    OY + 6_000.0 + radius * a.sin(),
                )
            })
            .collect();
        pts.push(pts[0]);
        mp(vec![Polygon::new(LineString::from(pts), vec![])])
    };
    let big = on("47112", circle(1_000.0))
        .floors(2)
        .footprint(circle(900.0))
        .0;
    let t = Instant::now();
    let d = check(&rs, &big).unwrap();
    println!(
        "worst case (10,000 vertices, {:.0} m², {} zone parts, {} findings): {:.1} ms",
        d.parcel_area_m2,
        d.zones.len(),
        d.findings.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
}

//! The rule book (issue 18) against a demo city in a real PostGIS: a regulation file with
//! mistakes is refused cell by cell and writes nothing; exports round-trip exactly (CSV and
//! XLSX); the diff says what changed and the checks change exactly so; the impact lists the
//! permits and applications whose outcome changes (the screened run equals a full re-check);
//! activation switches `/api/check` without a restart and is recorded; roles are enforced.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Answer, TestApp, call, send};
use serde_json::{Value, json};
use sqlx::PgPool;

struct Env {
    app: axum::Router,
    pool: PgPool,
    planner: String,
    admin: String,
}

/// Each test gets its own demo city: plans are created and activated.
async fn env(hint: &str) -> Env {
    let url = common::demo_database(hint).await;
    let TestApp { app, pool, .. } = TestApp::on(&url).await;
    let planner = common::user_with_token(&pool, "planner").await;
    let admin = common::user_with_token(&pool, "admin").await;
    Env {
        app,
        pool,
        planner,
        admin,
    }
}

async fn get(app: &axum::Router, path: &str, token: &str) -> Answer {
    call(app, "GET", path).token(token).send().await
}

async fn post_json(app: &axum::Router, path: &str, token: &str, body: Value) -> Answer {
    call(app, "POST", path)
        .token(token)
        .json(&body)
        .send()
        .await
}

async fn upload(
    app: &axum::Router,
    plan: &str,
    token: &str,
    fields: &[(&str, &str)],
    file: (&str, &[u8]),
) -> Answer {
    let (ct, body) = common::multipart_body(fields, Some(("file", file.0, file.1)));
    let path = format!("/api/plans/{}/rules", plan.replace(' ', "%20"));
    send(
        app,
        Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

async fn export(app: &axum::Router, plan: &str, token: &str, query: &str) -> Vec<u8> {
    let a = get(
        app,
        &format!("/api/plans/{}/rules?{query}", plan.replace(' ', "%20")),
        token,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    a.body
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// `Sheet!C12` of every error of a refused rule book, in the answer's order.
fn places(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}!{}{}",
                e["sheet"].as_str().unwrap(),
                e["column"].as_str().unwrap_or(""),
                e["row"]
            )
        })
        .collect()
}

/// Rewrites the cells of a CSV matrix: `(KBLI, sub-zone) → new text`.
fn edit_matrix(csv: &[u8], edits: &[(&str, &str, &str)]) -> Vec<u8> {
    let text = String::from_utf8(csv.to_vec()).unwrap();
    let mut rows: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    for (kbli, sz, v) in edits {
        let col = rows[0]
            .iter()
            .position(|h| h == sz)
            .unwrap_or_else(|| panic!("no column {sz}"));
        let row = rows
            .iter_mut()
            .find(|r| r[0] == *kbli)
            .unwrap_or_else(|| panic!("no row {kbli}"));
        row[col] = v.to_string();
    }
    rows.iter()
        .map(|r| r.join(","))
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

#[tokio::test]
async fn a_matrix_with_mistakes_is_refused_cell_by_cell_and_nothing_is_written() {
    let e = env("plans_errors").await;
    let plans_before = count(&e.pool, "SELECT count(*) FROM zoning_plans").await;
    let events_before = count(&e.pool, "SELECT count(*) FROM plan_events").await;
    let csv = "KBLI,Kegiatan,R-2,K-1,R-3x,RTH2\n\
               68111,Rumah,I,Q,I,X\n\
               ,Rumah/Warung Makanan,T9,I,,X\n\
               99999,,I,I,,X\n\
               68111,,I,I,,X\n\
               12ab,,I,I,,X\n";
    let a = upload(
        &e.app,
        "RDTR baru",
        &e.planner,
        &[],
        ("itbx.csv", csv.as_bytes()),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert_eq!(a.headers[header::CONTENT_TYPE], "application/problem+json");
    let v = a.json();
    let at = places(&v);
    // every mistake, in sheet order: unknown sub-zone header, bad class, a name matching no
    // KBLI title (with a near title), a code without text, an unknown KBLI, a repeated row,
    // a malformed code
    assert_eq!(
        at,
        [
            "itbx!E1", "itbx!D2", "itbx!B3", "itbx!C3", "itbx!A4", "itbx!A5", "itbx!A6"
        ],
        "{v:#}"
    );
    assert_eq!(v["error_count"], 7);
    let errs = v["errors"].as_array().unwrap();
    assert!(
        errs[0]["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().starts_with("R-3")),
        "{:#}",
        errs[0]
    );
    assert_eq!(errs[0]["header"], "R-3x");
    assert!(
        errs[2]["suggestions"][0]
            .as_str()
            .unwrap()
            .contains("Rumah/Warung Makan"),
        "{:#}",
        errs[2]
    );
    assert!(
        errs[3]["detail_en"].as_str().unwrap().contains("T9"),
        "{:#}",
        errs[3]
    );
    assert!(v["detail"].as_str().unwrap().contains("itbx!E1"), "{v:#}");
    // the legacy header RTH2 was understood as RTH-2, so it is not among the errors
    // nothing written: no draft, no history
    assert_eq!(
        count(&e.pool, "SELECT count(*) FROM zoning_plans").await,
        plans_before
    );
    assert_eq!(
        count(&e.pool, "SELECT count(*) FROM plan_events").await,
        events_before
    );

    // intensity: numbers out of range and not numbers, in an XLSX workbook with two sheets
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Intensitas").unwrap();
    for (c, h) in ["Sub Zona", "KDB", "KLB", "Lantai"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "R-2").unwrap();
    ws.write_number(1, 1, 120.0).unwrap();
    ws.write_string(1, 2, "dua").unwrap();
    ws.write_number(1, 3, 2.5).unwrap();
    let ws = wb.add_worksheet();
    ws.set_name("Ketentuan").unwrap();
    ws.write_string(0, 0, "Kode").unwrap();
    ws.write_string(0, 1, "Teks").unwrap();
    ws.write_string(1, 0, "X1").unwrap();
    ws.write_string(1, 1, "Salah kode").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let a = upload(&e.app, "RDTR baru", &e.planner, &[], ("perda.xlsx", &bytes)).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    let v = a.json();
    let at = places(&v);
    assert_eq!(
        at,
        [
            "Ketentuan!A2",
            "Intensitas!B2",
            "Intensitas!C2",
            "Intensitas!D2"
        ],
        "{v:#}"
    );
    assert_eq!(
        count(&e.pool, "SELECT count(*) FROM zoning_plans").await,
        plans_before
    );

    // a file that is no spreadsheet, a CSV that is not UTF-8, an unknown form field
    let a = upload(
        &e.app,
        "RDTR baru",
        &e.planner,
        &[],
        ("x.xlsx", b"PK\x03\x04 not really a zip"),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    let a = upload(
        &e.app,
        "RDTR baru",
        &e.planner,
        &[],
        ("x.csv", b"KBLI,R-2\n68111,\xff\n"),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert!(a.json()["detail_en"].as_str().unwrap().contains("UTF-8"));
    let a = upload(
        &e.app,
        "RDTR baru",
        &e.planner,
        &[("mode", "x")],
        ("itbx.csv", csv.as_bytes()),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert_eq!(a.json()["field"], "form");
    // rules are never loaded into the active plan
    let ok = "KBLI,R-2\n68111,I\n";
    let a = upload(&e.app, "1", &e.planner, &[], ("itbx.csv", ok.as_bytes())).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text());
}

#[tokio::test]
async fn a_workbook_bomb_is_refused_before_it_is_unpacked() {
    let e = env("plans_bomb").await;
    // a zip whose one member claims to unpack to 1 GiB (it is stored, 1 MiB of zeros, but the
    // central directory is what the reader trusts and what the check reads)
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        z.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..300 {
            std::io::Write::write_all(&mut z, &zeros).unwrap();
        }
        z.finish().unwrap();
    }
    let bytes = buf.into_inner();
    assert!(bytes.len() < 2 << 20, "the bomb is small: {}", bytes.len());
    let a = upload(&e.app, "RDTR bom", &e.planner, &[], ("perda.xlsx", &bytes)).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.text());
    assert!(
        a.json()["detail_en"].as_str().unwrap().contains("unpack"),
        "{}",
        a.text()
    );
}

#[tokio::test]
async fn exports_round_trip_exactly() {
    let e = env("plans_roundtrip").await;
    for table in ["itbx", "intensity", "conditions"] {
        let name = format!("Salinan {table}");
        let first = export(
            &e.app,
            "1",
            &e.planner,
            &format!("format=csv&table={table}"),
        )
        .await;
        let a = upload(
            &e.app,
            &name,
            &e.planner,
            &[],
            (&format!("{table}.csv"), &first),
        )
        .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
        let r = a.json();
        assert_eq!(r["created"], true);
        assert_eq!(r["tables"][table]["changed"], 0, "{r:#}");
        assert_eq!(r["tables"][table]["added"], 0, "{r:#}");
        assert!(
            r["tables"][table]["unchanged"].as_u64().unwrap() > 0,
            "{r:#}"
        );
        let again = export(
            &e.app,
            &name,
            &e.planner,
            &format!("format=csv&table={table}"),
        )
        .await;
        assert_eq!(
            String::from_utf8_lossy(&first),
            String::from_utf8_lossy(&again),
            "{table}"
        );
    }
    // the demo plan's matrix keeps the regulation's column order
    let itbx = export(&e.app, "1", &e.planner, "format=csv&table=itbx").await;
    assert!(String::from_utf8_lossy(&itbx).starts_with("KBLI,Kegiatan,R-1,R-2,R-3,R-4,R-5,K-1"));

    // XLSX: every table in one workbook, loaded into a new draft: nothing differs
    let xlsx = export(&e.app, "1", &e.planner, "format=xlsx").await;
    let a = upload(
        &e.app,
        "Salinan xlsx",
        &e.planner,
        &[],
        ("perda.xlsx", &xlsx),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let r = a.json();
    for t in ["itbx", "intensity", "conditions", "activities"] {
        assert_eq!(r["tables"][t]["changed"], 0, "{t}: {r:#}");
        assert_eq!(r["tables"][t]["added"], 0, "{t}: {r:#}");
        assert_eq!(r["tables"][t]["removed"], 0, "{t}: {r:#}");
    }
    let d = get(&e.app, "/api/plans/1/diff/Salinan%20xlsx", &e.planner).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text());
    let s = &d.json()["summary"];
    assert_eq!(s["itbx_cells_changed"], 0, "{s:#}");
    assert_eq!(s["intensity_rows_changed"], 0, "{s:#}");
    assert_eq!(s["zones_changed"], 0, "{s:#}");
    // a dry run reports the same and writes nothing
    let before = count(&e.pool, "SELECT count(*) FROM zoning_plans").await;
    let a = upload(
        &e.app,
        "Belum ada",
        &e.planner,
        &[("dry_run", "true")],
        ("perda.xlsx", &xlsx),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["dry_run"], true);
    assert_eq!(
        count(&e.pool, "SELECT count(*) FROM zoning_plans").await,
        before
    );
}

/// The `n`-th registered parcel lying wholly in a zone of `subzone` of the active plan: (GeoJSON in 4326, area m²). A permit on a registered parcel is the
/// usual case (the overlap rule sees the parcel itself, which is no conflict).
async fn parcel_in(pool: &PgPool, subzone: &str, n: i64) -> (Value, f64) {
    let (g, area): (String, f64) = sqlx::query_as(
        "SELECT ST_AsGeoJSON(r.geom, 9), ST_Area(ST_Transform(r.geom, 32751))
           FROM parcels r
           JOIN zones z ON ST_Within(r.geom, z.geom)
           JOIN zoning_plans p ON p.id = z.plan_id AND p.status = 'active'
          WHERE z.subzone_code = $1 AND r.kind = 'terdaftar'
            AND ST_Area(ST_Transform(r.geom, 32751)) BETWEEN 150 AND 1000
            AND (SELECT count(*) FROM parcels q WHERE q.id <> r.id AND ST_Overlaps(q.geom, r.geom)) = 0
          ORDER BY r.id OFFSET $2 LIMIT 1",
    )
    .bind(subzone)
    .bind(n)
    .fetch_one(pool)
    .await
    .unwrap_or_else(|e| panic!("a registered parcel in {subzone}: {e}"));
    (serde_json::from_str(&g).unwrap(), area)
}

/// A house on a parcel of `area` m²: 30 % footprint, two floors (60 % floor area), 30 % green.
fn figures(area: f64) -> (f64, f64, f64) {
    (
        (area * 0.3).round(),
        (area * 0.6).round(),
        (area * 0.3).round(),
    )
}

/// An issued permit (or, with another `status`, an open application) for that house.
async fn permit(pool: &PgPool, (parcel, area): &(Value, f64), reference: &str, status: &str) {
    let (fp, fa, green) = figures(*area);
    sqlx::query(
        "INSERT INTO applications (reference, applicant_id, applicant_type, applicant_name, applicant_nik,
                                   kbli_code, parcel, declared_land_area_m2, footprint_m2, total_floor_area_m2,
                                   floors, height_m, green_area_m2, status, decision, permit_number, valid_from)
         SELECT $1, (SELECT id FROM users ORDER BY created_at LIMIT 1), 'perorangan', 'Uji', '5371012345670001',
                '68111', ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($2), 4326)), $4, $5, $6, 2, 8, $7, $3,
                CASE WHEN $3 = 'ISSUED' THEN 'approved' END,
                CASE WHEN $3 = 'ISSUED' THEN 'KKPR/2025/' || $1 END,
                CASE WHEN $3 = 'ISSUED' THEN DATE '2025-01-01' END",
    )
    .bind(reference)
    .bind(parcel.to_string())
    .bind(status)
    .bind(area.round())
    .bind(fp)
    .bind(fa)
    .bind(green)
    .execute(pool)
    .await
    .unwrap();
}

fn check_body((parcel, area): &(Value, f64)) -> Value {
    let (fp, fa, green) = figures(*area);
    json!({
        "parcel": {"type": "Feature", "properties": {}, "geometry": parcel},
        "kbli": "68111",
        "building": {"footprint_m2": fp, "floor_area_m2": fa, "floors": 2, "height_m": 8, "green_m2": green},
        "declared_land_area_m2": area.round()
    })
}

async fn outcome(app: &axum::Router, parcel: &(Value, f64)) -> (String, i64) {
    let a = send(
        app,
        Request::post("/api/check")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(check_body(parcel).to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let v = a.json();
    (
        v["outcome"].as_str().unwrap().to_owned(),
        v["rule_set"]["plan_id"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn the_diff_says_what_changes_the_impact_finds_it_and_activation_applies_it() {
    let e = env("plans_flow").await;
    let r2 = parcel_in(&e.pool, "R-2", 0).await;
    let r3 = parcel_in(&e.pool, "R-3", 0).await;
    let r4 = parcel_in(&e.pool, "R-4", 0).await;
    permit(&e.pool, &r2, "P-R2", "ISSUED").await;
    permit(&e.pool, &r3, "P-R3", "TECHNICAL_REVIEW").await;
    permit(&e.pool, &r4, "P-R4", "ISSUED").await;
    let (before_r2, plan) = outcome(&e.app, &r2).await;
    let (before_r3, _) = outcome(&e.app, &r3).await;
    let (before_r4, _) = outcome(&e.app, &r4).await;
    assert_eq!(plan, 1);
    assert_ne!(before_r2, "DITOLAK");
    assert_ne!(before_r3, "DITOLAK");

    // the draft: houses no longer allowed in R-2; R-3's floor-area ratio too low for 180 m²
    let itbx = export(&e.app, "1", &e.planner, "format=csv&table=itbx").await;
    let itbx = edit_matrix(&itbx, &[("68111", "R-2", "X")]);
    let a = upload(&e.app, "RDTR 2027", &e.planner, &[], ("itbx.csv", &itbx)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    assert_eq!(a.json()["tables"]["itbx"]["changed"], 1);
    let intensity =
        String::from_utf8(export(&e.app, "1", &e.planner, "format=csv&table=intensity").await)
            .unwrap();
    let line = intensity
        .lines()
        .find(|l| l.starts_with("R-3,,"))
        .unwrap()
        .to_owned();
    let mut cells: Vec<&str> = line.split(',').collect();
    cells[3] = "0.5";
    let intensity = intensity.replace(&line, &cells.join(","));
    let a = upload(
        &e.app,
        "RDTR 2027",
        &e.planner,
        &[],
        ("intensitas.csv", intensity.as_bytes()),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["tables"]["intensity"]["changed"], 1);
    let draft_id = a.json()["plan"]["id"].as_i64().unwrap();
    // and one farm zone becomes low-density housing (a planner's edit of the draft's map)
    let (rezoned, rezoned_m2): (i64, f64) = sqlx::query_as(
        "UPDATE zones SET subzone_code = 'R-5', zone_code = 'R'
          WHERE id = (SELECT id FROM zones WHERE plan_id = $1 AND subzone_code = 'P-1' ORDER BY id LIMIT 1)
          RETURNING id, ST_Area(ST_Transform(geom, 32751))",
    )
    .bind(draft_id as i32)
    .fetch_one(&e.pool)
    .await
    .unwrap();
    let draft = get(&e.app, &format!("/api/plans/{draft_id}"), &e.planner)
        .await
        .json()["plan"]
        .clone();

    // the diff names exactly these two changes
    let d = get(&e.app, "/api/plans/1/diff/RDTR%202027", &e.planner).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text());
    let d = d.json();
    assert_eq!(d["summary"]["itbx_cells_changed"], 1, "{:#}", d["summary"]);
    assert_eq!(d["summary"]["intensity_rows_changed"], 1);
    assert_eq!(d["summary"]["zones_changed"], 1);
    let z = &d["zones"]["changed"][0];
    assert_eq!(
        (
            z["id"].as_i64(),
            z["subzone"].as_str(),
            z["change"].as_str()
        ),
        (Some(rezoned), Some("R-5"), Some("changed"))
    );
    assert!(
        (z["before"]["P-1"].as_f64().unwrap() - rezoned_m2).abs() < 0.1,
        "{z:#}"
    );
    assert_eq!(d["zones"]["rezoned"][0]["from"], "P-1");
    assert!((d["summary"]["rezoned_m2"].as_f64().unwrap() - rezoned_m2).abs() < 0.1);
    assert_eq!(d["zones"]["removed"].as_array().unwrap().len(), 0);
    let c = &d["rules"]["itbx"][0];
    assert_eq!(
        (
            c["kbli"].as_str(),
            c["subzone"].as_str(),
            c["from"]["class"].as_str(),
            c["to"]["class"].as_str()
        ),
        (Some("68111"), Some("R-2"), Some("I"), Some("X"))
    );
    let i = &d["rules"]["intensity"][0];
    assert_eq!(
        (
            i["subzone"].as_str(),
            i["fields"][0]["field"].as_str(),
            i["fields"][0]["to"].as_str()
        ),
        (Some("R-3"), Some("klb_max"), Some("0.5"))
    );
    let html = send(
        &e.app,
        Request::get("/api/plans/1/diff/RDTR%202027")
            .header(header::AUTHORIZATION, format!("Bearer {}", e.planner))
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(
        html.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = html.text();
    assert!(
        page.contains("68111") && page.contains("klb_max") && page.contains("0.5"),
        "{page}"
    );

    // the impact: the R-2 permit and the R-3 application change, the R-4 permit does not
    let imp = get(&e.app, "/api/plans/RDTR%202027/impact", &e.planner).await;
    assert_eq!(imp.status, StatusCode::OK, "{}", imp.text());
    let imp = imp.json();
    let changed: Vec<(&str, &str, &str)> = imp["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["reference"].as_str().unwrap(),
                c["before"]["outcome"].as_str().unwrap(),
                c["after"]["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        [
            ("P-R2", before_r2.as_str(), "DITOLAK"),
            ("P-R3", before_r3.as_str(), "DITOLAK")
        ],
        "{imp:#}"
    );
    assert!(
        imp["changed"][0]["after"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["status"] == "fail"),
        "{imp:#}"
    );
    assert_eq!(imp["subjects"], 3);
    assert!(imp["rechecked"].as_u64().unwrap() >= 2);
    let per_k: i64 = imp["by_kelurahan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["changed"].as_i64().unwrap())
        .sum();
    assert_eq!(per_k, 2);
    // a full re-check of every permit and application finds the same
    let full = get(
        &e.app,
        "/api/plans/RDTR%202027/impact?full=true",
        &e.planner,
    )
    .await
    .json();
    assert_eq!(full["rechecked"], 3);
    assert_eq!(full["changed"], imp["changed"]);

    // activation: admins only, with a reason, at the version reviewed
    let path = format!("/api/plans/{draft_id}/activate");
    let a = post_json(&e.app, &path, &e.planner, json!({"reason": "Perda 1/2027"})).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    let a = post_json(&e.app, &path, &e.admin, json!({})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert_eq!(a.json()["field"], "reason");
    let a = post_json(
        &e.app,
        &path,
        &e.admin,
        json!({"reason": "Perda 1/2027", "version": draft["version"].as_i64().unwrap() - 1}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text());
    let a = post_json(
        &e.app,
        &path,
        &e.admin,
        json!({"reason": "Perda Kota Kupang 1/2027", "version": draft["version"]}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["plan"]["status"], "active");

    // /api/check answers from the new plan at once, without a restart
    let (after_r2, plan) = outcome(&e.app, &r2).await;
    assert_eq!(plan, draft_id);
    assert_eq!(after_r2, "DITOLAK");
    assert_eq!(outcome(&e.app, &r3).await.0, "DITOLAK");
    assert_eq!(outcome(&e.app, &r4).await.0, before_r4);
    // the old plan is retired, its history and the new one's are recorded
    let old = get(&e.app, "/api/plans/1", &e.planner).await.json();
    assert_eq!(old["plan"]["status"], "retired");
    let actions: Vec<&str> = old["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["activated", "retired"]);
    let new = get(&e.app, &format!("/api/plans/{draft_id}"), &e.planner)
        .await
        .json();
    let last = new["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "activated");
    assert_eq!(last["reason"], "Perda Kota Kupang 1/2027");
    assert_eq!(last["actor_role"], "admin");
    // the history cannot be rewritten
    let err = sqlx::query("DELETE FROM plan_events")
        .execute(&e.pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    // a retired plan is neither activated again nor deleted; the zones of the new plan show on the map
    let a = post_json(
        &e.app,
        "/api/plans/1/activate",
        &e.admin,
        json!({"reason": "kembali"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text());
    let a = send(
        &e.app,
        Request::delete("/api/plans/1")
            .header(header::AUTHORIZATION, format!("Bearer {}", e.planner))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text());
    assert_eq!(
        count(
            &e.pool,
            &format!("SELECT count(*) FROM zones WHERE plan_active AND plan_id = {draft_id}")
        )
        .await,
        count(
            &e.pool,
            &format!("SELECT count(*) FROM zones WHERE plan_id = {draft_id}")
        )
        .await
    );
    assert_eq!(
        count(
            &e.pool,
            "SELECT count(*) FROM zones WHERE plan_active AND plan_id = 1"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn the_kbli_catalogue_loads_from_the_statistics_office_layout() {
    let e = env("plans_kbli").await;
    let before = count(&e.pool, "SELECT count(*) FROM activities").await;
    let csv = "Kode;Judul;Uraian\n\
               A;PERTANIAN, KEHUTANAN DAN PERIKANAN;\n\
               01;PERTANIAN TANAMAN, PETERNAKAN, PERBURUAN DAN KEGIATAN YBDI;\n\
               011;PERTANIAN TANAMAN SEMUSIM;\n\
               0112;PERTANIAN PADI;\n\
               01121;PERTANIAN PADI HIBRIDA;Kelompok ini mencakup usaha pertanian padi hibrida\n\
               01111;Pertanian Jagung;Kelompok ini mencakup usaha pertanian jagung\n\
               G;PERDAGANGAN BESAR DAN ECERAN;\n\
               47732;PERDAGANGAN ECERAN KOSMETIK;Kelompok ini mencakup usaha perdagangan eceran kosmetik\n";
    let a = upload(
        &e.app,
        "RDTR katalog",
        &e.planner,
        &[],
        ("kbli2020.csv", csv.as_bytes()),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let t = &a.json()["tables"]["activities"];
    assert_eq!(
        (
            t["rows"].as_u64(),
            t["added"].as_u64(),
            t["changed"].as_u64()
        ),
        (Some(3), Some(2), Some(0)),
        "{t:#}"
    );
    // a known code keeps its English title and curated keywords (the BPS table has neither)
    let (en, kw): (String, String) =
        sqlx::query_as("SELECT title_en, keywords FROM activities WHERE kbli_code = '01111'")
            .fetch_one(&e.pool)
            .await
            .unwrap();
    assert_eq!(
        (en.as_str(), kw.as_str()),
        ("Growing of maize", "jagung, ladang, kebun")
    );
    let kw: String =
        sqlx::query_scalar("SELECT keywords FROM activities WHERE kbli_code = '01121'")
            .fetch_one(&e.pool)
            .await
            .unwrap();
    assert!(kw.contains("padi hibrida"), "{kw}");
    assert_eq!(
        count(&e.pool, "SELECT count(*) FROM activities").await,
        before + 2
    );
    let section: String =
        sqlx::query_scalar("SELECT section FROM activities WHERE kbli_code = '47732'")
            .fetch_one(&e.pool)
            .await
            .unwrap();
    assert_eq!(section, "G");
    // the check's activity search finds the new code (the rule set follows the catalogue)
    let mut found = false;
    for _ in 0..50 {
        let a = send(
            &e.app,
            Request::get("/api/activities?q=kosmetik")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        if a.text().contains("47732") {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(found, "the new KBLI code is searchable");
}

#[tokio::test]
async fn only_staff_read_plans_only_planners_load_only_admins_activate() {
    let e = env("plans_roles").await;
    let pemohon = common::user_with_token(&e.pool, "pemohon").await;
    let verifier = common::user_with_token(&e.pool, "verifikator").await;
    assert_eq!(
        get(&e.app, "/api/plans", &pemohon).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(
            &e.app,
            Request::get("/api/plans").body(Body::empty()).unwrap()
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    let list = get(&e.app, "/api/plans", &verifier).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json()["plans"][0]["status"], "active");
    let a = upload(
        &e.app,
        "RDTR uji",
        &verifier,
        &[],
        ("itbx.csv", b"KBLI,R-2\n68111,I\n"),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    let a = post_json(
        &e.app,
        "/api/plans",
        &e.planner,
        json!({"name": "RDTR uji"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let id = a.json()["plan"]["id"].as_i64().unwrap();
    assert_eq!(
        a.json()["plan"]["zones"],
        count(&e.pool, "SELECT count(*) FROM zones WHERE plan_id = 1").await
    );
    let a = post_json(
        &e.app,
        "/api/plans",
        &e.planner,
        json!({"name": "RDTR uji"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text());
    let a = post_json(&e.app, "/api/plans", &e.planner, json!({"name": "12"})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    let a = post_json(
        &e.app,
        &format!("/api/plans/{id}/activate"),
        &verifier,
        json!({"reason": "coba-coba"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = send(
        &e.app,
        Request::delete(format!("/api/plans/{id}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", e.planner))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(
        get(&e.app, &format!("/api/plans/{id}"), &e.planner)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM plan_events WHERE plan_id = $1 ORDER BY id")
            .bind(id as i32)
            .fetch_all(&e.pool)
            .await
            .unwrap();
    assert_eq!(actions, ["created", "deleted"]);
}

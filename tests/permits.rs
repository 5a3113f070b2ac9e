//! Permit applications against the demo city in a real PostGIS: the whole workflow from draft
//! to issued permit with its trail, the RETURNED loop, every refused role and state, who sees
//! what, If-Match and two concurrent decisions, attachments, the overdue list, the issued
//! parcel in `parcels` and its tile, the decision document (HTML, PDF through pdftoppm), bad
//! input, and the `ruang user add` / `ruang token create` commands.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Answer, TestApp, call, draft_body, housing_parcel as parcel, send};
use ruang::config::Config;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

fn demo_db() -> &'static str {
    common::shared_demo_database("permits")
}

async fn env_on(url: &str) -> TestApp {
    let config = Config {
        tile_cache_bytes: 0,
        ..Config::default()
    };
    TestApp::with_config(url, config).await
}

async fn env() -> TestApp {
    env_on(demo_db()).await
}

/// Creates a draft as `owner`; returns (id, etag).
async fn create(e: &TestApp, owner: &str, n: i64) -> (String, String) {
    let p = parcel(&e.pool, n).await;
    let a = call(&e.app, "POST", "/api/applications")
        .token(owner)
        .json(&draft_body(p))
        .send()
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json());
    let v = a.json();
    (v["id"].as_str().unwrap().to_string(), a.etag())
}

/// Takes `action` and asserts 200; returns the new ETag and the application.
async fn act(
    e: &TestApp,
    id: &str,
    action: &str,
    token: &str,
    etag: &str,
    body: Value,
) -> (String, Value) {
    let a = call(
        &e.app,
        "POST",
        &format!("/api/applications/{id}/actions/{action}"),
    )
    .token(token)
    .if_match(etag)
    .json(&body)
    .send()
    .await;
    assert_eq!(a.status, StatusCode::OK, "{action}: {}", a.json());
    (a.etag(), a.json())
}

struct Staff {
    operator: String,
    verifikator: String,
    forum: String,
    pejabat: String,
}

async fn staff(pool: &PgPool) -> Staff {
    Staff {
        operator: common::user_with_token(pool, "operator").await,
        verifikator: common::user_with_token(pool, "verifikator").await,
        forum: common::user_with_token(pool, "forum").await,
        pejabat: common::user_with_token(pool, "pejabat").await,
    }
}

/// Brings a new application to TECHNICAL_REVIEW; returns (id, etag).
async fn to_review(e: &TestApp, owner: &str, s: &Staff, n: i64) -> (String, String) {
    let (id, t) = create(e, owner, n).await;
    let (t, _) = act(e, &id, "submit", owner, &t, json!({})).await;
    let (t, _) = act(e, &id, "start_check", &s.operator, &t, json!({})).await;
    let (t, _) = act(e, &id, "accept", &s.operator, &t, json!({})).await;
    (id, t)
}

#[tokio::test]
async fn the_whole_way_from_draft_to_issued_permit_with_trail_tile_and_documents() {
    let e = env().await;
    let owner = common::user_with_token(&e.pool, "pemohon").await;
    let s = staff(&e.pool).await;
    let (id, t) = create(&e, &owner, 0).await;
    assert_eq!(t, "\"1\"");

    let got = call(&e.app, "GET", &format!("/api/applications/{id}"))
        .token(&owner)
        .send()
        .await;
    let v = got.json();
    assert_eq!(v["status"], "DRAFT");
    assert_eq!(v["parcel"]["type"], "MultiPolygon");
    assert!(v["reference"].as_str().unwrap().starts_with("PKKPR-"));
    assert!(v["kelurahan_code"].as_str().is_some(), "{v}");
    assert_eq!(v["allowed_actions"][0]["action"], "submit");
    assert_eq!(v["floors"], 2);

    // a site plan
    let pdf = b"%PDF-1.4\n% site plan\n".to_vec();
    let up = upload(&e.app, &id, &owner, "site_plan", "denah.pdf", pdf.clone()).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.json());
    let url = up.json()["url"].as_str().unwrap().to_string();

    let (t, v) = act(
        &e,
        &id,
        "submit",
        &owner,
        &t,
        json!({"note": "mohon diproses"}),
    )
    .await;
    assert_eq!(v["status"], "SUBMITTED");
    assert!(v["check_result"]["outcome"].is_string(), "{v}");
    assert!(v["check_result"]["findings"].is_array());
    assert!(v["check_plan_version"].as_i64().unwrap() >= 1);
    assert!(v["submitted_at"].is_string());
    assert_eq!(
        v["allowed_actions"],
        json!([]),
        "the owner has nothing to do now"
    );
    let (t, _) = act(&e, &id, "start_check", &s.operator, &t, json!({})).await;
    let (t, _) = act(
        &e,
        &id,
        "accept",
        &s.operator,
        &t,
        json!({"note": "lengkap"}),
    )
    .await;
    let (t, v) = act(&e, &id, "to_forum", &s.verifikator, &t, json!({})).await;
    assert_eq!(v["status"], "FORUM_REVIEW");
    let (t, _) = act(
        &e,
        &id,
        "forum_advice",
        &s.forum,
        &t,
        json!({"note": "Setuju dengan syarat sumur resapan"}),
    )
    .await;
    let (t, v) = act(
        &e,
        &id,
        "decide",
        &s.verifikator,
        &t,
        json!({"decision": "approved_conditional",
               "conditions": ["Membuat sumur resapan", "Parkir di dalam persil"]}),
    )
    .await;
    assert_eq!(v["status"], "DECIDED");
    assert_eq!(v["decision"], "approved_conditional");
    // the pejabat sees the issue action
    let pv = call(&e.app, "GET", &format!("/api/applications/{id}"))
        .token(&s.pejabat)
        .send()
        .await
        .json();
    assert_eq!(pv["allowed_actions"][0]["action"], "issue");
    let (t, v) = act(&e, &id, "issue", &s.pejabat, &t, json!({"valid_years": 3})).await;
    assert_eq!(v["status"], "ISSUED");
    assert_eq!(t, format!("\"{}\"", v["version"]));
    let number = v["permit_number"].as_str().unwrap().to_string();
    let parts: Vec<&str> = number.split('/').collect();
    assert_eq!(parts[0], "KKPR");
    assert_eq!(parts[1].len(), 4);
    assert_eq!(parts[2].len(), 6);
    assert!(v["valid_from"].is_string() && v["valid_until"].is_string());

    // the trail: created + 7 transitions, each with actor and states
    let ev = v["events"].as_array().unwrap();
    let steps: Vec<(Value, Value, Value)> = ev
        .iter()
        .map(|e| {
            (
                e["from_status"].clone(),
                e["to_status"].clone(),
                e["actor_role"].clone(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            (Value::Null, json!("DRAFT"), json!("pemohon")),
            (json!("DRAFT"), json!("DRAFT"), json!("pemohon")),
            (json!("DRAFT"), json!("SUBMITTED"), json!("pemohon")),
            (json!("SUBMITTED"), json!("ADMIN_CHECK"), json!("operator")),
            (
                json!("ADMIN_CHECK"),
                json!("TECHNICAL_REVIEW"),
                json!("operator")
            ),
            (
                json!("TECHNICAL_REVIEW"),
                json!("FORUM_REVIEW"),
                json!("verifikator")
            ),
            (
                json!("FORUM_REVIEW"),
                json!("TECHNICAL_REVIEW"),
                json!("forum")
            ),
            (
                json!("TECHNICAL_REVIEW"),
                json!("DECIDED"),
                json!("verifikator")
            ),
            (json!("DECIDED"), json!("ISSUED"), json!("pejabat")),
        ]
    );
    assert!(
        ev.iter()
            .all(|e| e["at"].is_string()
                && e["actor_email"].as_str().is_some_and(|m| m.contains('@')))
    );
    assert_eq!(
        ev[1]["data"]["action"], "attach",
        "the upload is in the trail"
    );
    assert_eq!(ev[6]["note"], "Setuju dengan syarat sumur resapan");
    assert_eq!(v["attachments"][0]["kind"], "site_plan");
    assert_eq!(v["attachments"][0]["url"], json!(url));

    // the trail cannot be edited: no route, and the database refuses
    let del = call(&e.app, "DELETE", &format!("/api/applications/{id}"))
        .token(&s.verifikator)
        .send()
        .await;
    assert_eq!(del.status, StatusCode::METHOD_NOT_ALLOWED);
    let upd =
        sqlx::query("UPDATE application_events SET note = 'x' WHERE application_id = $1::uuid")
            .bind(&id)
            .execute(&e.pool)
            .await;
    assert!(upd.is_err(), "application_events must be append-only");

    // the permit parcel, in the table and in the public tile
    let (kind, pn, lon, lat): (String, String, f64, f64) = sqlx::query_as(
        "SELECT kind, permit_number, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
           FROM parcels WHERE application_id = $1::uuid",
    )
    .bind(&id)
    .fetch_one(&e.pool)
    .await
    .unwrap();
    assert_eq!((kind.as_str(), pn.as_str()), ("izin", number.as_str()));
    // the public tile follows the change feed (the parcels layer is cut in-process from a
    // snapshot that the feed marks stale): the parcel shows within seconds
    let (x, y) = common::tile_of(lon, lat, 18);
    let started = std::time::Instant::now();
    loop {
        let tile = call(&e.app, "GET", &format!("/tiles/parcels/18/{x}/{y}.mvt"))
            .send()
            .await;
        assert_eq!(tile.status, StatusCode::OK);
        let reader = mvt_reader::Reader::new(tile.body.clone()).unwrap();
        let features = reader.get_features(0).unwrap();
        let found = features.iter().any(|f| {
            f.properties.as_ref().is_some_and(|p| {
                p.get("permit_number")
                    .is_some_and(|v| format!("{v:?}").contains(&number))
            })
        });
        if found {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the issued parcel is not in the parcels tile 10 s after the decision"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // documents: public once issued, by id or by number
    let html = call(&e.app, "GET", &format!("/permits/{id}")).send().await;
    assert_eq!(html.status, StatusCode::OK);
    let text = String::from_utf8_lossy(&html.body).to_string();
    assert!(text.contains(&number) && text.contains("<svg") && text.contains("sumur resapan"));
    assert!(
        !text.contains("5371012345670001"),
        "the NIK is never printed"
    );
    let enc = number.replace('/', "%2F");
    let by_number = call(&e.app, "GET", &format!("/permits/{enc}")).send().await;
    assert_eq!(by_number.status, StatusCode::OK);
    let pdf = call(
        &e.app,
        "GET",
        &format!("/permits/{}.pdf", number.replace('/', "-")),
    )
    .send()
    .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers[header::CONTENT_TYPE], "application/pdf");
    let dir = std::env::temp_dir().join(format!("ruang-permit-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("permit.pdf");
    std::fs::write(&file, &pdf.body).unwrap();
    let out = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "40"])
        .arg(&file)
        .arg(dir.join("page"))
        .output()
        .expect("pdftoppm (poppler-utils) is installed");
    assert!(
        out.status.success(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pngs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|f| f.ok())
        .filter(|f| f.path().extension().is_some_and(|x| x == "png"))
        .collect();
    assert!(!pngs.is_empty());
    assert!(std::fs::metadata(pngs[0].path()).unwrap().len() > 1000);
    let info = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    let txt = String::from_utf8_lossy(&info.stdout);
    assert!(txt.contains(&number), "{txt}");
    assert!(txt.contains("Membuat sumur resapan"), "{txt}");
    let _ = std::fs::remove_dir_all(&dir);

    // the attachment is served with its type
    let f = call(&e.app, "GET", &url).token(&s.operator).send().await;
    assert_eq!(f.status, StatusCode::OK);
    assert_eq!(f.headers[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(f.body, b"%PDF-1.4\n% site plan\n");
}

async fn upload(
    app: &axum::Router,
    id: &str,
    token: &str,
    kind: &str,
    filename: &str,
    data: Vec<u8>,
) -> Answer {
    let boundary = "ruang-test-boundary-7d1f";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post(format!("/api/applications/{id}/attachments"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    send(app, req).await
}

#[tokio::test]
async fn a_returned_application_is_completed_and_submitted_again() {
    let e = env().await;
    let owner = common::user_with_token(&e.pool, "pemohon").await;
    let s = staff(&e.pool).await;
    let (id, t) = create(&e, &owner, 1).await;
    let (t, _) = act(&e, &id, "submit", &owner, &t, json!({})).await;
    let (t, _) = act(&e, &id, "start_check", &s.operator, &t, json!({})).await;
    // returning needs a note
    let a = call(
        &e.app,
        "POST",
        &format!("/api/applications/{id}/actions/return"),
    )
    .token(&s.operator)
    .if_match(&t)
    .json(&json!({}))
    .send()
    .await;
    assert_eq!(a.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"], "note");
    let (t, v) = act(
        &e,
        &id,
        "return",
        &s.operator,
        &t,
        json!({"note": "Lampirkan denah"}),
    )
    .await;
    assert_eq!(v["status"], "RETURNED");
    // the owner edits (If-Match needed) and submits again
    let url = format!("/api/applications/{id}");
    let a = call(&e.app, "PATCH", &url)
        .token(&owner)
        .json(&json!({"floors": 1}))
        .send()
        .await;
    a.problem(StatusCode::PRECONDITION_REQUIRED);
    let a = call(&e.app, "PATCH", &url)
        .token(&owner)
        .if_match("\"1\"")
        .json(&json!({"floors": 1}))
        .send()
        .await;
    a.problem(StatusCode::PRECONDITION_FAILED);
    let a = call(&e.app, "PATCH", &url)
        .token(&owner)
        .if_match(&t)
        .json(&json!({"floors": 1, "height_m": 4.5}))
        .send()
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.json());
    assert_eq!(a.json()["floors"], 1);
    let t = a.etag();
    let (_, v) = act(&e, &id, "submit", &owner, &t, json!({})).await;
    assert_eq!(v["status"], "SUBMITTED");
    let last = v["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["from_status"].clone(), last["to_status"].clone()),
        (json!("RETURNED"), json!("SUBMITTED"))
    );
    let returned = &v["events"].as_array().unwrap()[3];
    assert_eq!(returned["note"], "Lampirkan denah");
    let edit = &v["events"].as_array().unwrap()[4];
    assert_eq!(edit["data"]["action"], "edit", "the edit is in the trail");
    assert_eq!(edit["data"]["fields"], json!(["floors", "height_m"]));
    assert_eq!(edit["to_status"], "RETURNED");
    // no longer editable
    let a = call(&e.app, "PATCH", &url)
        .token(&owner)
        .if_match(&format!("\"{}\"", v["version"]))
        .json(&json!({"floors": 3}))
        .send()
        .await;
    a.problem(StatusCode::CONFLICT);
}

#[tokio::test]
async fn every_wrong_role_is_403_and_every_wrong_state_409() {
    let e = env().await;
    let owner = common::user_with_token(&e.pool, "pemohon").await;
    let other = common::user_with_token(&e.pool, "pemohon").await;
    let planner = common::user_with_token(&e.pool, "planner").await;
    let s = staff(&e.pool).await;
    let (id, t) = create(&e, &owner, 2).await;
    let post = |action: &'static str, token: String, etag: String, body: Value| {
        let app = e.app.clone();
        let id = id.clone();
        async move {
            call(
                &app,
                "POST",
                &format!("/api/applications/{id}/actions/{action}"),
            )
            .token(&token)
            .if_match(&etag)
            .json(&body)
            .send()
            .await
        }
    };
    // DRAFT: staff steps from the wrong state; submit by someone else
    for (action, token) in [
        ("start_check", &s.operator),
        ("accept", &s.operator),
        ("return", &s.operator),
        ("to_forum", &s.verifikator),
        ("decide", &s.verifikator),
        ("issue", &s.pejabat),
    ] {
        let a = post(
            action,
            token.clone(),
            t.clone(),
            json!({"note": "x", "decision": "approved"}),
        )
        .await;
        let p = a.problem(StatusCode::CONFLICT);
        assert_eq!(p["code"], "wrong_state", "{action}");
    }
    post("submit", s.operator.clone(), t.clone(), json!({}))
        .await
        .problem(StatusCode::FORBIDDEN);
    // another applicant does not even see it
    post("submit", other.clone(), t.clone(), json!({}))
        .await
        .problem(StatusCode::NOT_FOUND);
    // unknown action
    post("approve_all", s.operator.clone(), t.clone(), json!({}))
        .await
        .problem(StatusCode::NOT_FOUND);
    // editing by staff is refused
    let a = call(&e.app, "PATCH", &format!("/api/applications/{id}"))
        .token(&s.operator)
        .if_match(&t)
        .json(&json!({"floors": 1}))
        .send()
        .await;
    a.problem(StatusCode::FORBIDDEN);
    // staff and planners do not create applications
    let p = parcel(&e.pool, 2).await;
    let a = call(&e.app, "POST", "/api/applications")
        .token(&planner)
        .json(&draft_body(p))
        .send()
        .await;
    a.problem(StatusCode::FORBIDDEN);

    let (t, _) = act(&e, &id, "submit", &owner, &t, json!({})).await;
    // SUBMITTED: wrong roles for start_check
    for token in [&owner, &s.verifikator, &s.forum, &s.pejabat, &planner] {
        post("start_check", token.clone(), t.clone(), json!({}))
            .await
            .problem(StatusCode::FORBIDDEN);
    }
    post("submit", owner.clone(), t.clone(), json!({}))
        .await
        .problem(StatusCode::CONFLICT);
    let (t, _) = act(&e, &id, "start_check", &s.operator, &t, json!({})).await;
    for (action, token) in [
        ("accept", &s.verifikator),
        ("return", &s.pejabat),
        ("accept", &owner),
    ] {
        post(action, token.clone(), t.clone(), json!({"note": "x"}))
            .await
            .problem(StatusCode::FORBIDDEN);
    }
    let (t, _) = act(&e, &id, "accept", &s.operator, &t, json!({})).await;
    // TECHNICAL_REVIEW
    for (action, token) in [
        ("to_forum", &s.forum),
        ("to_forum", &s.operator),
        ("decide", &s.operator),
        ("decide", &s.pejabat),
        ("decide", &s.forum),
        ("issue", &s.verifikator),
    ] {
        post(
            action,
            token.clone(),
            t.clone(),
            json!({"decision": "approved"}),
        )
        .await
        .problem(StatusCode::FORBIDDEN);
    }
    for (action, token) in [
        ("forum_advice", &s.forum),
        ("issue", &s.pejabat),
        ("accept", &s.operator),
    ] {
        post(action, token.clone(), t.clone(), json!({"note": "x"}))
            .await
            .problem(StatusCode::CONFLICT);
    }
    let (t, _) = act(&e, &id, "to_forum", &s.verifikator, &t, json!({})).await;
    post(
        "forum_advice",
        s.verifikator.clone(),
        t.clone(),
        json!({"note": "x"}),
    )
    .await
    .problem(StatusCode::FORBIDDEN);
    post("forum_advice", s.forum.clone(), t.clone(), json!({}))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    post(
        "decide",
        s.verifikator.clone(),
        t.clone(),
        json!({"decision": "approved"}),
    )
    .await
    .problem(StatusCode::CONFLICT);
    let (t, _) = act(
        &e,
        &id,
        "forum_advice",
        &s.forum,
        &t,
        json!({"note": "Tolak"}),
    )
    .await;

    // decide: bad bodies are 422 and change nothing
    for (body, field) in [
        (json!({}), "decision"),
        (json!({"decision": "maybe"}), "decision"),
        (json!({"decision": "rejected"}), "decision_reason"),
        (
            json!({"decision": "rejected", "decision_reason": "  "}),
            "decision_reason",
        ),
        (json!({"decision": "approved_conditional"}), "conditions"),
        (json!({"decision": "approved_partial"}), "approved_parcel"),
    ] {
        let a = post("decide", s.verifikator.clone(), t.clone(), body.clone()).await;
        assert_eq!(
            a.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"],
            field,
            "{body}"
        );
    }
    // a partial approval must lie inside the parcel
    let far = parcel(&e.pool, 5).await;
    let a = post(
        "decide",
        s.verifikator.clone(),
        t.clone(),
        json!({"decision": "approved_partial", "approved_parcel": far}),
    )
    .await;
    assert_eq!(
        a.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"],
        "approved_parcel"
    );
    let still = call(&e.app, "GET", &format!("/api/applications/{id}"))
        .token(&s.verifikator)
        .send()
        .await;
    assert_eq!(still.etag(), t, "refused bodies change nothing");
    assert_eq!(still.json()["status"], "TECHNICAL_REVIEW");

    let (t, v) = act(
        &e,
        &id,
        "decide",
        &s.verifikator,
        &t,
        json!({"decision": "rejected", "decision_reason": "Kegiatan tidak sesuai RDTR"}),
    )
    .await;
    assert_eq!(v["decision"], "rejected");
    assert_eq!(v["allowed_actions"], json!([]));
    // a rejection is never issued
    let a = post("issue", s.pejabat.clone(), t.clone(), json!({})).await;
    assert_eq!(a.problem(StatusCode::CONFLICT)["code"], "wrong_state");
    // the rejection document is visible to the owner, not to the public or other applicants
    let d = call(&e.app, "GET", &format!("/permits/{id}"))
        .token(&owner)
        .send()
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&d.body).contains("Kegiatan tidak sesuai RDTR"));
    call(&e.app, "GET", &format!("/permits/{id}"))
        .send()
        .await
        .problem(StatusCode::NOT_FOUND);
    call(&e.app, "GET", &format!("/permits/{id}.pdf"))
        .token(&other)
        .send()
        .await
        .problem(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn applicants_see_only_their_own_applications() {
    let e = env().await;
    let a_tok = common::user_with_token(&e.pool, "pemohon").await;
    let b_tok = common::user_with_token(&e.pool, "pemohon").await;
    let s = staff(&e.pool).await;
    let (id, _) = create(&e, &a_tok, 3).await;
    let png = {
        let mut v = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        v.extend_from_slice(&[0u8; 64]);
        v
    };
    let up = upload(&e.app, &id, &a_tok, "photo", "foto.png", png).await;
    assert_eq!(up.status, StatusCode::CREATED);
    let att = up.json()["url"].as_str().unwrap().to_string();

    for uri in [format!("/api/applications/{id}"), att.clone()] {
        call(&e.app, "GET", &uri)
            .token(&b_tok)
            .send()
            .await
            .problem(StatusCode::NOT_FOUND);
        call(&e.app, "GET", &uri)
            .send()
            .await
            .problem(StatusCode::UNAUTHORIZED);
        let ok = call(&e.app, "GET", &uri).token(&s.verifikator).send().await;
        assert_eq!(ok.status, StatusCode::OK, "{uri}");
    }
    // guessed and malformed ids look the same as someone else's
    for uri in [
        format!("/api/applications/{}", Uuid::new_v4()),
        "/api/applications/123".to_string(),
    ] {
        call(&e.app, "GET", &uri)
            .token(&a_tok)
            .send()
            .await
            .problem(StatusCode::NOT_FOUND);
    }
    let list = |tok: String| {
        let app = e.app.clone();
        async move {
            let v = call(&app, "GET", "/api/applications")
                .token(&tok)
                .send()
                .await
                .json();
            v["applications"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list(a_tok.clone()).await, vec![id.clone()]);
    assert!(list(b_tok.clone()).await.is_empty());
    assert!(list(s.operator.clone()).await.contains(&id));
    let first = call(&e.app, "GET", "/api/applications?status=DRAFT")
        .token(&a_tok)
        .send()
        .await
        .json();
    let item = &first["applications"][0];
    for k in [
        "id",
        "reference",
        "status",
        "kbli_code",
        "activity_title",
        "applicant_name",
        "created_at",
        "submitted_at",
        "updated_at",
        "days_in_state",
        "sla_days_left",
        "overdue",
    ] {
        assert!(item.get(k).is_some(), "list item lacks {k}: {item}");
    }
    let none = call(&e.app, "GET", "/api/applications?status=ISSUED")
        .token(&a_tok)
        .send()
        .await
        .json();
    assert_eq!(none["applications"], json!([]));
    call(&e.app, "GET", "/api/applications?status=NOPE")
        .token(&a_tok)
        .send()
        .await
        .problem(StatusCode::BAD_REQUEST);
    // and the overdue list is for officials
    call(&e.app, "GET", "/api/applications/overdue")
        .token(&a_tok)
        .send()
        .await
        .problem(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn two_concurrent_decisions_with_the_same_version_one_wins_one_gets_412() {
    let e = env().await;
    let owner = common::user_with_token(&e.pool, "pemohon").await;
    let s = staff(&e.pool).await;
    let v2 = common::user_with_token(&e.pool, "verifikator").await;
    let (id, t) = to_review(&e, &owner, &s, 4).await;
    let uri = format!("/api/applications/{id}/actions/decide");
    let (a, b) = tokio::join!(
        call(&e.app, "POST", &uri)
            .token(&s.verifikator)
            .if_match(&t)
            .json(&json!({"decision": "approved"}))
            .send(),
        call(&e.app, "POST", &uri)
            .token(&v2)
            .if_match(&t)
            .json(&json!({"decision": "rejected", "decision_reason": "Tidak sesuai"}))
            .send(),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::PRECONDITION_FAILED],
        "{} / {}",
        String::from_utf8_lossy(&a.body),
        String::from_utf8_lossy(&b.body)
    );
    let loser = if a.status == StatusCode::OK { &b } else { &a };
    assert_eq!(
        loser.problem(StatusCode::PRECONDITION_FAILED)["code"],
        "stale_version"
    );
    // exactly one decision in the trail
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM application_events WHERE application_id = $1::uuid AND to_status = 'DECIDED'",
    )
    .bind(&id)
    .fetch_one(&e.pool)
    .await
    .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn attachments_are_limited_in_size_and_type() {
    let e = env().await;
    let owner = common::user_with_token(&e.pool, "pemohon").await;
    let s = staff(&e.pool).await;
    let (id, t) = create(&e, &owner, 6).await;
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(20 * 1024 * 1024 + 1, b'x');
    upload(&e.app, &id, &owner, "site_plan", "besar.pdf", big)
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE);
    upload(
        &e.app,
        &id,
        &owner,
        "other",
        "virus.exe",
        b"MZ\x90\x00\x03".to_vec(),
    )
    .await
    .problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    upload(
        &e.app,
        &id,
        &owner,
        "other",
        "page.pdf",
        b"<html><script>".to_vec(),
    )
    .await
    .problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let p = upload(
        &e.app,
        &id,
        &owner,
        "selfie",
        "a.png",
        b"\x89PNG\r\n\x1a\n....".to_vec(),
    )
    .await
    .problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "kind");
    upload(
        &e.app,
        &id,
        &s.operator,
        "photo",
        "a.jpg",
        vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2],
    )
    .await
    .problem(StatusCode::FORBIDDEN);
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM application_attachments WHERE application_id = $1::uuid",
    )
    .bind(&id)
    .fetch_one(&e.pool)
    .await
    .unwrap();
    assert_eq!(n, 0, "nothing half-written");
    let jpg = vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
    let ok = upload(&e.app, &id, &owner, "photo", "../../rumah.jpg", jpg.clone()).await;
    assert_eq!(ok.status, StatusCode::CREATED);
    let v = ok.json();
    assert_eq!(v["content_type"], "image/jpeg");
    assert_eq!(v["filename"], "rumah.jpg");
    assert_eq!(v["kind"], "photo");
    assert_eq!(v["size_bytes"], 7);
    // after submission no more files
    act(&e, &id, "submit", &owner, &t, json!({})).await;
    upload(&e.app, &id, &owner, "photo", "b.jpg", jpg)
        .await
        .problem(StatusCode::CONFLICT);
}

#[tokio::test]
async fn bad_drafts_are_refused_and_nothing_is_written() {
    let e = env().await;
    let owner = common::user_with_token(&e.pool, "pemohon").await;
    let good = draft_body(parcel(&e.pool, 7).await);
    let count = || async {
        let v = call(&e.app, "GET", "/api/applications")
            .token(&owner)
            .send()
            .await
            .json();
        v["applications"].as_array().unwrap().len()
    };
    let before = count().await;
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = good.clone();
        f(&mut b);
        b
    };
    let c = good["parcel"]["coordinates"][0].clone();
    let bowtie = json!({"type": "Polygon", "coordinates": [[c[0], c[2], c[1], c[3], c[0]]]});
    for (body, status, field) in [
        (with(&|b| b["parcel"] = bowtie.clone()), 422, "parcel"),
        (
            with(&|b| b["parcel"] = json!({"type": "Point", "coordinates": [123.6, -10.17]})),
            422,
            "parcel",
        ),
        (
            with(&|b| {
                b["parcel"] =
                    json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})
            }),
            422,
            "parcel",
        ),
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("parcel");
            }),
            422,
            "parcel",
        ),
        (
            with(&|b| b["applicant_nik"] = json!("12345")),
            422,
            "applicant_nik",
        ),
        (
            with(&|b| b["applicant_nib"] = json!("12345678901234")),
            422,
            "applicant_nib",
        ),
        (
            with(&|b| b["applicant_type"] = json!("alien")),
            422,
            "applicant_type",
        ),
        (with(&|b| b["kbli_code"] = json!("99999")), 422, "kbli_code"),
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("applicant_name");
            }),
            422,
            "applicant_name",
        ),
        (with(&|b| b["floors"] = json!(2.5)), 422, "floors"),
        (with(&|b| b["height_m"] = json!(-3)), 422, "height_m"),
        (
            with(&|b| b["declared_land_area_m2"] = json!("banyak")),
            422,
            "declared_land_area_m2",
        ),
    ] {
        let a = call(&e.app, "POST", "/api/applications")
            .token(&owner)
            .json(&body)
            .send()
            .await;
        let p = a.problem(StatusCode::from_u16(status).unwrap());
        assert_eq!(p["field"], field, "{p}");
    }
    let req = Request::post("/api/applications")
        .header(header::AUTHORIZATION, format!("Bearer {owner}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"parcel\": "))
        .unwrap();
    send(&e.app, req).await.problem(StatusCode::BAD_REQUEST);
    call(&e.app, "POST", "/api/applications")
        .json(&good.clone())
        .send()
        .await
        .problem(StatusCode::UNAUTHORIZED);
    assert_eq!(count().await, before, "nothing written");
    // a draft that the engine finds impossible cannot be submitted, and stays a draft
    let (id, t) = create(&e, &owner, 7).await;
    let a = call(&e.app, "PATCH", &format!("/api/applications/{id}"))
        .token(&owner)
        .if_match(&t)
        .json(&json!({"floors": 10, "height_m": 3}))
        .send()
        .await;
    let t = a.etag();
    let s = call(
        &e.app,
        "POST",
        &format!("/api/applications/{id}/actions/submit"),
    )
    .token(&owner)
    .if_match(&t)
    .json(&json!({}))
    .send()
    .await;
    s.problem(StatusCode::UNPROCESSABLE_ENTITY);
    let v = call(&e.app, "GET", &format!("/api/applications/{id}"))
        .token(&owner)
        .send()
        .await
        .json();
    assert_eq!(v["status"], "DRAFT");
    assert_eq!(v["check_result"], Value::Null);
    assert_eq!(
        v["events"].as_array().unwrap().len(),
        2,
        "created and edited, not submitted"
    );
}

#[tokio::test]
async fn the_transitions_endpoint_names_the_target_state() {
    let e = env().await;
    let owner = common::user_with_token(&e.pool, "pemohon").await;
    let s = staff(&e.pool).await;
    // the body of /api/check is accepted too (kbli, building)
    let body = json!({
        "parcel": parcel(&e.pool, 8).await,
        "kbli": "68111",
        "building": {"floors": 2, "height_m": 7, "floor_area_m2": 150},
        "applicant_type": "perorangan",
        "applicant_name": "Agus Bria",
        "applicant_nik": "5371019876540002",
    });
    let a = call(&e.app, "POST", "/api/applications")
        .token(&owner)
        .json(&body)
        .send()
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json());
    let v = a.json();
    assert_eq!(v["kbli_code"], "68111");
    assert_eq!(v["total_floor_area_m2"], 150);
    let (id, t) = (v["id"].as_str().unwrap().to_string(), a.etag());
    let uri = format!("/api/applications/{id}/transitions");
    let a = call(&e.app, "POST", &uri)
        .token(&owner)
        .if_match(&t)
        .json(&json!({"to": "SUBMITTED"}))
        .send()
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.json());
    let t = a.etag();
    call(&e.app, "POST", &uri)
        .token(&s.operator)
        .if_match(&t)
        .json(&json!({"to": "ISSUED"}))
        .send()
        .await
        .problem(StatusCode::CONFLICT);
    call(&e.app, "POST", &uri)
        .token(&s.operator)
        .if_match(&t)
        .json(&json!({"to": "HEAVEN"}))
        .send()
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    let a = call(&e.app, "POST", &uri)
        .token(&s.operator)
        .if_match(&t)
        .json(&json!({"to": "ADMIN_CHECK"}))
        .send()
        .await;
    assert_eq!(a.json()["status"], "ADMIN_CHECK");
}

#[tokio::test]
async fn overdue_applications_are_listed_with_days_per_state() {
    let e = env().await;
    let owner = common::user_with_token(&e.pool, "pemohon").await;
    let s = staff(&e.pool).await;
    let (id, t) = create(&e, &owner, 9).await;
    let (t, _) = act(&e, &id, "submit", &owner, &t, json!({})).await;
    act(&e, &id, "start_check", &s.operator, &t, json!({})).await;
    // move the trail 25 days back (the trigger is lifted for the test only)
    let mut tx = e.pool.begin().await.unwrap();
    sqlx::query("ALTER TABLE application_events DISABLE TRIGGER application_events_append_only")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE application_events SET at = at - CASE to_status WHEN 'DRAFT' THEN interval '30 days'
                                                              WHEN 'SUBMITTED' THEN interval '25 days'
                                                              ELSE interval '21 days' END
          WHERE application_id = $1::uuid",
    )
    .bind(&id)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("ALTER TABLE application_events ENABLE TRIGGER application_events_append_only")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let a = call(&e.app, "GET", "/api/applications/overdue")
        .token(&s.pejabat)
        .send()
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let v = a.json();
    let item = v["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == json!(id))
        .unwrap_or_else(|| panic!("{v}"))
        .clone();
    assert_eq!(item["overdue"], true);
    assert_eq!(item["days_by_state"]["DRAFT"], 5.0);
    assert_eq!(item["days_by_state"]["SUBMITTED"], 4.0);
    assert_eq!(item["days_in_state"], 21.0);
    assert_eq!(item["sla_days_used"], 25.0);
    assert_eq!(item["sla_days_left"], -5.0);
    // a fresh application is not overdue
    let (fresh, _) = create(&e, &owner, 10).await;
    assert!(
        !v["applications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == json!(fresh))
    );
    let g = call(&e.app, "GET", &format!("/api/applications/{id}"))
        .token(&owner)
        .send()
        .await
        .json();
    assert_eq!(g["overdue"], true);
}

#[tokio::test]
async fn cli_adds_a_user_and_creates_a_token_that_works() {
    let (pool, url) = common::migrated_database("permits_cli").await;
    let ruang = env!("CARGO_BIN_EXE_ruang");
    let run = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(ruang)
            .args(args)
            .arg("--database-url")
            .arg(&url)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(
        &[
            "user",
            "add",
            "--email",
            "Verif@Kupang.go.id",
            "--role",
            "verifikator",
            "--name",
            "Verifikator Satu",
        ],
        "kata-sandi-panjang\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = run(
        &[
            "user",
            "add",
            "--email",
            "verif@kupang.go.id",
            "--role",
            "verifikator",
        ],
        "kata-sandi-panjang\n",
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let short = run(
        &[
            "user",
            "add",
            "--email",
            "x@kupang.go.id",
            "--role",
            "admin",
        ],
        "pendek\n",
    );
    assert!(!short.status.success());
    let badrole = run(
        &["user", "add", "--email", "y@kupang.go.id", "--role", "king"],
        "kata-sandi-panjang\n",
    );
    assert!(!badrole.status.success());
    let tok = run(
        &[
            "token",
            "create",
            "--email",
            "verif@kupang.go.id",
            "--name",
            "qgis",
        ],
        "",
    );
    assert!(
        tok.status.success(),
        "{}",
        String::from_utf8_lossy(&tok.stderr)
    );
    let token = String::from_utf8(tok.stdout).unwrap().trim().to_string();
    assert_eq!(token.len(), 43);
    let nobody = run(&["token", "create", "--email", "nobody@kupang.go.id"], "");
    assert!(!nobody.status.success());

    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE email = 'verif@kupang.go.id'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$"));
    let e = env_on(&url).await;
    let me = call(&e.app, "GET", "/api/auth/me")
        .token(&token)
        .send()
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["user"]["role"], "verifikator");
    assert_eq!(me.json()["user"]["display_name"], "Verifikator Satu");
    let login = call(&e.app, "POST", "/api/auth/login")
        .json(&json!({"email": "verif@kupang.go.id", "password": "kata-sandi-panjang"}))
        .send()
        .await;
    assert_eq!(login.status, StatusCode::OK);
}

#[tokio::test]
async fn a_browser_session_drafts_and_submits_with_the_csrf_header() {
    let e = env().await;
    let email = format!("browser-{}@test.kupang.id", Uuid::new_v4());
    let reg = call(&e.app, "POST", "/api/auth/register")
        .json(&json!({"email": email, "password": "kata-sandi-browser", "display_name": "Browser"}))
        .send()
        .await;
    assert_eq!(reg.status, StatusCode::CREATED);
    let cookie = |name: &str| {
        reg.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix(&format!("{name}=")))
            .and_then(|c| c.split(';').next())
            .unwrap()
            .to_string()
    };
    let cookies = format!(
        "ruang_session={}; ruang_csrf={}",
        cookie("ruang_session"),
        cookie("ruang_csrf")
    );
    let csrf = reg.json()["csrf_token"].as_str().unwrap().to_string();
    let body = draft_body(parcel(&e.pool, 11).await);
    let post = |uri: String, csrf: Option<String>, if_match: Option<String>, body: Value| {
        let mut r = Request::post(uri)
            .header(header::COOKIE, cookies.clone())
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        if let Some(m) = if_match {
            r = r.header(header::IF_MATCH, m);
        }
        r.body(Body::from(body.to_string())).unwrap()
    };
    // without the header a cookie cannot change anything
    let a = send(
        &e.app,
        post("/api/applications".into(), None, None, body.clone()),
    )
    .await;
    let p = a.problem(StatusCode::FORBIDDEN);
    assert!(p["type"].as_str().unwrap().ends_with("/csrf"), "{p}");
    let a = send(
        &e.app,
        post("/api/applications".into(), Some(csrf.clone()), None, body),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json());
    let id = a.json()["id"].as_str().unwrap().to_string();
    let a = send(
        &e.app,
        post(
            format!("/api/applications/{id}/actions/submit"),
            Some(csrf),
            Some(a.etag()),
            json!({}),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.json());
    assert_eq!(a.json()["events"][1]["actor_email"], json!(email));
}

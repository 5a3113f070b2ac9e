//! The schema: migrations apply to an empty database and are a no-op the second time, and the
//! constraints keep bad data out.

mod common;

use std::time::Duration;

use sqlx::PgPool;

/// Runs `sql` and returns the name of the constraint (or the SQLSTATE) that refused it.
async fn refused(pool: &PgPool, sql: &str) -> String {
    match sqlx::query(sql).execute(pool).await {
        Ok(_) => panic!("accepted but should be refused: {sql}"),
        Err(sqlx::Error::Database(e)) => e
            .constraint()
            .map(str::to_string)
            .unwrap_or_else(|| format!("{} {}", e.code().unwrap_or_default(), e.message())),
        Err(e) => panic!("unexpected error {e} for {sql}"),
    }
}

#[tokio::test]
async fn migrations_apply_to_an_empty_database_and_again_as_a_no_op() {
    let name = common::empty_database("mig_twice").await;
    let url = common::url_for(&name);
    let pool = ruang::db::connect(&url, 2, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(!ruang::db::migrations_current(&pool).await.unwrap());
    ruang::db::ensure_postgis(&pool, &url).await.unwrap();
    ruang::db::migrate(&pool).await.unwrap();
    assert!(ruang::db::migrations_current(&pool).await.unwrap());

    let snapshot = |pool: PgPool| async move {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let applied: Vec<(i64, chrono::DateTime<chrono::Utc>)> =
            sqlx::query_as("SELECT version, installed_on FROM _sqlx_migrations ORDER BY version")
                .fetch_all(&pool)
                .await
                .unwrap();
        (tables, applied)
    };
    let before = snapshot(pool.clone()).await;
    for t in [
        "admin_areas",
        "zoning_plans",
        "zones",
        "zone_rules",
        "activities",
        "activity_rules",
        "overlays",
        "applications",
        "application_events",
        "parcels",
        "users",
        "api_tokens",
        "health_facilities",
        "stunting_observations",
        "markets",
        "commodities",
        "reference_prices",
        "price_observations",
        "waste_facilities",
        "waste_reports",
    ] {
        assert!(before.0.iter().any(|x| x == t), "table {t} missing");
    }
    ruang::db::migrate(&pool).await.unwrap();
    let after = snapshot(pool.clone()).await;
    assert_eq!(before, after, "a second migrate changes nothing");
}

#[tokio::test]
async fn every_geometry_column_is_typed_4326_and_gist_indexed() {
    let (pool, _) = common::migrated_database("mig_geom").await;
    let cols: Vec<(String, String, i32, String)> = sqlx::query_as(
        "SELECT f_table_name::text, f_geometry_column::text, srid, type::text \
         FROM geometry_columns WHERE f_table_schema = 'public' ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(cols.len() >= 12, "{cols:?}");
    for (table, column, srid, ty) in &cols {
        // `*_3857` columns are generated Web Mercator copies for the tiles; the rest is 4326.
        let expected = if column.ends_with("_3857") {
            3857
        } else {
            4326
        };
        assert_eq!(*srid, expected, "{table}.{column}");
        assert_ne!(ty, "GEOMETRY", "{table}.{column} has a fixed geometry type");
        let indexed: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_index i \
               JOIN pg_class t ON t.oid = i.indrelid \
               JOIN pg_class ix ON ix.oid = i.indexrelid \
               JOIN pg_am am ON am.oid = ix.relam \
               JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (i.indkey) \
             WHERE t.relname = $1 AND a.attname = $2 AND am.amname = 'gist')",
        )
        .bind(table)
        .bind(column)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(indexed, "{table}.{column} has no GIST index");
    }
}

#[tokio::test]
async fn constraints_keep_bad_data_out() {
    let (pool, _) = common::migrated_database("mig_checks").await;
    sqlx::raw_sql(
        "INSERT INTO zoning_plans (name, status) VALUES ('p', 'active');
         INSERT INTO subzones VALUES ('R-2','R','budidaya','Perumahan','Perumahan Kepadatan Tinggi','High-density housing','perumahan',true);
         INSERT INTO activities VALUES ('47111','Perdagangan eceran','Retail','G','');
         INSERT INTO users (email, password_hash, role) VALUES ('a@b.id', '$argon2id$v=19$x', 'pemohon');",
    )
    .execute(&pool)
    .await
    .unwrap();
    let square = "ST_GeomFromText('MULTIPOLYGON(((123.6 -10.17,123.601 -10.17,123.601 -10.171,123.6 -10.171,123.6 -10.17)))',4326)";
    let bowtie = "ST_GeomFromText('MULTIPOLYGON(((123.6 -10.17,123.601 -10.171,123.601 -10.17,123.6 -10.171,123.6 -10.17)))',4326)";

    // geometry: validity, SRID, type
    assert_eq!(
        refused(&pool, &format!("INSERT INTO zones (plan_id, zone_code, subzone_code, geom) VALUES (1,'R','R-2',{bowtie})")).await,
        "zones_geom_valid"
    );
    let srid = refused(&pool, "INSERT INTO zones (plan_id, zone_code, subzone_code, geom) VALUES (1,'R','R-2',ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 0)))',3857))").await;
    assert!(srid.contains("SRID"), "{srid}");
    let ty = refused(&pool, "INSERT INTO zones (plan_id, zone_code, subzone_code, geom) VALUES (1,'R','R-2',ST_SetSRID(ST_MakePoint(123.6,-10.17),4326))").await;
    assert!(ty.to_lowercase().contains("geometry type"), "{ty}");
    sqlx::query(&format!(
        "INSERT INTO zones (plan_id, zone_code, subzone_code, geom) VALUES (1,'R','R-2',{square})"
    ))
    .execute(&pool)
    .await
    .unwrap();

    // foreign keys
    assert_eq!(
        refused(&pool, &format!("INSERT INTO zones (plan_id, zone_code, subzone_code, geom) VALUES (1,'R','R-9',{square})")).await,
        "zones_subzone_code_fkey"
    );
    // statuses, classes and figures
    assert_eq!(
        refused(
            &pool,
            "INSERT INTO zoning_plans (name, status) VALUES ('q', 'aktif')"
        )
        .await,
        "zoning_plans_status_check"
    );
    assert_eq!(
        refused(
            &pool,
            "INSERT INTO zoning_plans (name, status) VALUES ('q', 'active')"
        )
        .await,
        "zoning_plans_one_active"
    );
    assert_eq!(
        refused(
            &pool,
            "INSERT INTO zone_rules (plan_id, subzone_code, kdb_max_pct) VALUES (1, 'R-2', -5)"
        )
        .await,
        "zone_rules_kdb_max_pct_check"
    );
    assert_eq!(
        refused(
            &pool,
            "INSERT INTO zone_rules (plan_id, subzone_code, kdb_max_pct) VALUES (1, 'R-2', 120)"
        )
        .await,
        "zone_rules_kdb_max_pct_check"
    );
    assert_eq!(
        refused(
            &pool,
            "INSERT INTO activity_rules VALUES (1, 'R-2', '47111', 'Z', '{}')"
        )
        .await,
        "activity_rules_class_check"
    );
    assert_eq!(
        refused(
            &pool,
            "INSERT INTO activity_rules VALUES (1, 'R-2', '47111', 'T', '{}')"
        )
        .await,
        "activity_rules_conditions"
    );
    assert_eq!(
        refused(
            &pool,
            "INSERT INTO activities VALUES ('4711','x','x','G','')"
        )
        .await,
        "activities_kbli_code_check"
    );
    assert_eq!(
        refused(
            &pool,
            "INSERT INTO users (email, password_hash, role) VALUES ('c@d.id', 'plain', 'pemohon')"
        )
        .await,
        "users_password_hash_check"
    );
    assert_eq!(refused(&pool, "INSERT INTO users (email, password_hash, role) VALUES ('A@b.id', '$argon2id$x', 'pemohon')").await, "users_email_check");
    assert_eq!(refused(&pool, "INSERT INTO price_observations (market_id, commodity_id, obs_date, price_idr) VALUES (1, 1, '2026-01-01', 0)").await, "price_observations_price_idr_check");
    assert_eq!(
        refused(&pool, "INSERT INTO stunting_observations (period, level, facility_id, measured, severely_stunted, stunted, normal, source) VALUES ('2026-01-15', 'posyandu', 1, 10, 1, 1, 8, 'x')").await,
        "stunting_observations_period_check"
    );

    // applications: status, NIK length, reject needs a reason
    let app = |extra_cols: &str, extra_vals: &str| {
        format!(
            "INSERT INTO applications (reference, applicant_id, applicant_type, applicant_name, kbli_code, parcel{extra_cols}) \
         SELECT 'A-' || gen_random_uuid(), id, 'perorangan', 'Yohanes', '47111', {square}{extra_vals} FROM users"
        )
    };
    assert_eq!(
        refused(&pool, &app(", status", ", 'APPROVED'")).await,
        "applications_status_check"
    );
    assert_eq!(
        refused(&pool, &app(", applicant_nik", ", '12345'")).await,
        "applications_applicant_nik_check"
    );
    assert_eq!(
        refused(&pool, &app(", status, decision", ", 'DECIDED', 'rejected'")).await,
        "applications_reject_reason"
    );
    sqlx::query(&app("", "")).execute(&pool).await.unwrap();

    // the audit trail is append-only
    sqlx::query("INSERT INTO application_events (application_id, to_status) SELECT id, 'DRAFT' FROM applications")
        .execute(&pool).await.unwrap();
    let upd = refused(&pool, "UPDATE application_events SET note = 'changed'").await;
    assert!(upd.contains("append-only"), "{upd}");
    let del = refused(&pool, "DELETE FROM application_events").await;
    assert!(del.contains("append-only"), "{del}");
}

#[tokio::test]
async fn every_change_to_a_plan_bumps_its_version_once_per_statement() {
    let (pool, _) = common::migrated_database("mig_version").await;
    sqlx::raw_sql(
        "INSERT INTO zoning_plans (name, status) VALUES ('p', 'active');
         INSERT INTO subzones VALUES ('R-2','R','budidaya','Perumahan','Perumahan Kepadatan Tinggi','High-density housing','perumahan',true);",
    )
    .execute(&pool)
    .await
    .unwrap();
    let version = || async {
        sqlx::query_scalar::<_, i32>("SELECT version FROM zoning_plans WHERE name = 'p'")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(version().await, 1);
    let square = |x: f64| {
        format!(
            "ST_GeomFromText('MULTIPOLYGON((({x} -10.17,{x1} -10.17,{x1} -10.171,{x} -10.171,{x} -10.17)))',4326)",
            x1 = x + 0.001
        )
    };
    sqlx::query(&format!(
        "INSERT INTO zones (plan_id, zone_code, subzone_code, geom) VALUES (1,'R','R-2',{}), (1,'R','R-2',{})",
        square(123.60),
        square(123.61)
    ))
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(version().await, 2, "one bump for a two-row insert");
    sqlx::query(
        "INSERT INTO zone_rules (plan_id, subzone_code, kdb_max_pct) VALUES (1, 'R-2', 70)",
    )
    .execute(&pool)
    .await
    .unwrap();
    // the rule insert bumps once, and re-deriving the zones' copied rule figures once more
    let after_rule = version().await;
    assert!(after_rule > 2, "{after_rule}");
    sqlx::query("UPDATE zone_rules SET kdb_max_pct = 60")
        .execute(&pool)
        .await
        .unwrap();
    assert!(version().await > after_rule);
    let kdb: f64 = sqlx::query_scalar("SELECT kdb_max FROM zones LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(kdb, 60.0, "zones carry the current rule figures");
}

//! `GET /collections/{id}/items` and `/items/{fid}`.
//!
//! Each feature's GeoJSON is built by PostgreSQL (`ST_AsGeoJSON`, `json_build_object`) and
//! arrives as one text row; rows are streamed into the response body in chunks of about 64 KiB
//! through a bounded channel, so a page of 10,000 features never sits in memory whole and a
//! slow client slows the query down instead of filling memory. `numberMatched` comes from a
//! `count(*)` with the same `WHERE`, run first, so a bad filter fails before any byte is sent.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::collections::{Collection, IdType, Prop};
use super::query::{self, Format, ItemsQuery};
use super::{GEOJSON, find_collection, html, only_params, origin};
use crate::AppState;
use crate::bind_values;
use crate::crs::Crs;
use crate::error::ApiError;

const CHUNK: usize = 64 * 1024;

fn link_with(o: &str, c: &Collection, raw: &[(String, String)], set: &[(&str, String)]) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in raw {
        if !set.iter().any(|(s, _)| s == k) {
            ser.append_pair(k, v);
        }
    }
    for (k, v) in set {
        ser.append_pair(k, v);
    }
    let qs = ser.finish();
    format!("{o}/collections/{}/items?{qs}", c.id)
}

fn crs_header(res: &mut Response, crs: Crs) {
    if let Ok(v) = HeaderValue::from_str(&format!("<{}>", crs.uri())) {
        res.headers_mut().insert("content-crs", v);
    }
}

/// 404 for a page past the last feature (`next` links never lead there; a client that made up
/// the offset, or paged while features were deleted, learns where the last page starts).
fn offset_past_end(offset: i64, limit: i64, matched: i64) -> ApiError {
    let last = if matched == 0 {
        0
    } else {
        (matched - 1) / limit * limit
    };
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        format!(
            "offset={offset} melewati akhir: {matched} fitur cocok, halaman terakhir \
             (limit={limit}) dimulai pada offset={last}."
        ),
        format!(
            "offset={offset} is past the end: {matched} features match, the last page \
             (limit={limit}) starts at offset={last}."
        ),
    )
}

/// `GET /collections/{id}/items`.
pub async fn items(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = find_collection(&id)?;
    let mut q = ItemsQuery::parse(c, raw, &headers)?;
    if q.format == Format::Html {
        q.limit = q.limit.min(query::MAX_HTML_LIMIT);
    }
    let (where_sql, params) = query::where_clause(c, &q)?;
    let props: Vec<&Prop> = match &q.properties {
        Some(list) => list.clone(),
        None => c.props.iter().collect(),
    };

    let count_sql = format!(
        "SELECT count(*) FROM {} WHERE {where_sql}",
        query::count_from(c, &where_sql)
    );
    // A page only reads: it may come from a replica (`db::reads`); the count and the rows
    // from the same one.
    let (pool, matched) = state
        .reads
        .read(|pool| {
            let (count_sql, binds) = (&count_sql, &params.binds);
            async move {
                let n: i64 = bind_values!(sqlx::query_scalar(count_sql), binds)
                    .fetch_one(&pool)
                    .await?;
                Ok::<_, sqlx::Error>((pool, n))
            }
        })
        .await
        .map_err(filter_sql_error)?;
    if q.offset > 0 && q.offset >= matched {
        return Err(offset_past_end(q.offset, q.limit, matched));
    }

    let n = params.binds.len();
    let sql = format!(
        "SELECT {feature} FROM {from} WHERE {where_sql} ORDER BY {order} LIMIT ${l} OFFSET ${o}",
        feature = query::feature_sql(c, &props, q.crs),
        from = c.from,
        order = query::order_by(c, &q),
        l = n + 1,
        o = n + 2,
    );
    let o = origin(&state, &headers);
    let mut links = vec![
        json!({ "rel": "self", "type": GEOJSON, "href": link_with(&o, c, &q.raw, &[("f", "json".into())]) }),
        json!({ "rel": "alternate", "type": "text/html", "href": link_with(&o, c, &q.raw, &[("f", "html".into())]) }),
        json!({ "rel": "collection", "type": "application/json", "href": format!("{o}/collections/{}", c.id) }),
    ];
    let fmt = if q.format == Format::Html {
        "html"
    } else {
        "json"
    };
    if q.offset + q.limit < matched {
        links.push(json!({ "rel": "next", "type": if fmt == "html" { "text/html" } else { GEOJSON },
            "href": link_with(&o, c, &q.raw, &[("offset", (q.offset + q.limit).to_string()), ("limit", q.limit.to_string())]) }));
    }
    if q.offset > 0 {
        links.push(json!({ "rel": "prev", "type": if fmt == "html" { "text/html" } else { GEOJSON },
            "href": link_with(&o, c, &q.raw, &[("offset", (q.offset - q.limit).max(0).to_string()), ("limit", q.limit.to_string())]) }));
    }

    if q.format == Format::Html {
        let rows: Vec<String> = bind_values!(sqlx::query_scalar(&sql), &params.binds)
            .bind(q.limit)
            .bind(q.offset)
            .fetch_all(&pool)
            .await
            .map_err(filter_sql_error)?;
        let features: Vec<Value> = rows
            .iter()
            .filter_map(|r| serde_json::from_str(r).ok())
            .collect();
        return Ok(
            Html(html::items(c, &features, matched, q.offset, &links, q.crs)).into_response(),
        );
    }

    let time_stamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let head = format!(
        "{{\"type\":\"FeatureCollection\",\"timeStamp\":\"{time_stamp}\",\"numberMatched\":{matched},\"features\":["
    );
    let links_text = Value::Array(links).to_string();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, sqlx::Error>>(4);
    let binds = params.binds;
    let (limit, offset) = (q.limit, q.offset);
    tokio::spawn(async move {
        let mut rows = bind_values!(sqlx::query_scalar::<_, String>(&sql), &binds)
            .bind(limit)
            .bind(offset)
            .fetch(&pool);
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 4096);
        buf.extend_from_slice(head.as_bytes());
        let mut returned = 0u64;
        while let Some(row) = rows.next().await {
            match row {
                Ok(s) => {
                    if returned > 0 {
                        buf.push(b',');
                    }
                    buf.extend_from_slice(s.as_bytes());
                    returned += 1;
                    if buf.len() >= CHUNK {
                        let chunk = Bytes::from(std::mem::replace(
                            &mut buf,
                            Vec::with_capacity(CHUNK + 4096),
                        ));
                        if tx.send(Ok(chunk)).await.is_err() {
                            return; // the client went away
                        }
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
        buf.extend_from_slice(
            format!("],\"numberReturned\":{returned},\"links\":{links_text}}}").as_bytes(),
        );
        let _ = tx.send(Ok(Bytes::from(buf))).await;
    });
    // The status is chosen once the first piece is in (the whole page when it is under
    // CHUNK): a page query that fails before a feature went out, e.g. because the database
    // stopped after the count, is a problem answer (503 when the database is gone), not a
    // 200 cut short. Only a failure later in a long page has to cut the body.
    let first = match rx.recv().await {
        Some(Ok(bytes)) => bytes,
        Some(Err(e)) => return Err(filter_sql_error(e)),
        None => {
            return Err(ApiError::internal(
                &"the items stream ended before its first piece",
            ));
        }
    };
    let rest = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
    .map(|item| {
        item.map_err(|e| {
            tracing::error!(error = %e, "items stream failed");
            std::io::Error::other("query failed")
        })
    });
    let stream = futures_util::stream::once(std::future::ready(Ok(first)))
        .chain(rest)
        // Compression polls once more after the end; a fused stream answers None again.
        .fuse();
    let mut res = Response::new(Body::from_stream(stream));
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON));
    crs_header(&mut res, q.crs);
    Ok(res)
}

/// A database error while running a client's filter: the value could not be used (a
/// division by zero, an out-of-range date) is the client's 400; anything else is ours.
pub fn filter_sql_error(e: sqlx::Error) -> ApiError {
    if let sqlx::Error::Database(db) = &e
        && let Some(code) = db.code()
        && (code.starts_with("22") || code == "XX000")
    {
        tracing::info!(error = %db, "filter value refused by the database");
        return ApiError::bad_request(
            "Nilai dalam permintaan tidak dapat digunakan (mis. tanggal, angka, atau geometri di luar jangkauan).",
            "A value in the request cannot be used (e.g. a date, number or geometry out of range).",
        );
    }
    e.into()
}

/// A feature id as the collection stores it; `None` when it cannot be one (404).
pub enum Fid {
    Int(i64),
    Text(String),
}

pub fn parse_fid(c: &Collection, fid: &str) -> Option<Fid> {
    match c.id_type {
        IdType::Integer => fid.parse::<i64>().ok().map(Fid::Int),
        // PostgreSQL text cannot hold NUL: no feature has such an id.
        IdType::Text => {
            (fid.len() <= 64 && !fid.contains('\0')).then(|| Fid::Text(fid.to_string()))
        }
    }
}

pub fn item_not_found(c: &Collection, fid: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        format!(
            "Fitur '{}' tidak ada di koleksi '{}'.",
            query::clip(fid),
            c.id
        ),
        format!(
            "Feature '{}' does not exist in collection '{}'.",
            query::clip(fid),
            c.id
        ),
    )
}

/// Reads one feature as GeoJSON (geometry in `crs`) and its row version, if it has one.
pub async fn fetch_feature(
    state: &AppState,
    c: &Collection,
    fid: &Fid,
    props: &[&Prop],
    crs: Crs,
) -> Result<Option<(Value, Option<i32>)>, ApiError> {
    let version = if c.prop("version").is_some() {
        "t.version"
    } else {
        "NULL::int"
    };
    let sql = format!(
        "SELECT {feature}, {version} FROM {from} WHERE {base} AND {id} = $1",
        feature = query::feature_sql(c, props, crs),
        from = c.from,
        base = c.base_condition(),
        id = c.id_sql,
    );
    let q = sqlx::query_as::<_, (String, Option<i32>)>(&sql);
    let row = match fid {
        Fid::Int(i) => q.bind(*i).fetch_optional(&state.pool).await?,
        Fid::Text(s) => q.bind(s.clone()).fetch_optional(&state.pool).await?,
    };
    Ok(row.and_then(|(text, v)| serde_json::from_str(&text).ok().map(|f| (f, v))))
}

pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

/// `GET /collections/{id}/items/{fid}`.
pub async fn item(
    State(state): State<AppState>,
    Path((id, fid)): Path<(String, String)>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = find_collection(&id)?;
    only_params(&raw, query::ITEM_PARAMS)?;
    let get = |k: &str| raw.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let format = query::format(get("f"), &headers)?;
    let crs = match get("crs") {
        None => Crs::Crs84,
        Some(v) => Crs::parse(v).ok_or_else(|| query::unknown_crs("crs", v))?,
    };
    let props: Vec<&Prop> = match get("properties") {
        None => c.props.iter().collect(),
        Some(v) => v
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|n| {
                c.prop(n).ok_or_else(|| {
                    ApiError::bad_request(
                        format!(
                            "Parameter 'properties': properti '{}' tidak dikenal.",
                            query::clip(n)
                        ),
                        format!(
                            "Parameter 'properties': unknown property '{}'.",
                            query::clip(n)
                        ),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let fid_parsed = parse_fid(c, &fid).ok_or_else(|| item_not_found(c, &fid))?;
    let (mut feature, version) = fetch_feature(&state, c, &fid_parsed, &props, crs)
        .await?
        .ok_or_else(|| item_not_found(c, &fid))?;
    let o = origin(&state, &headers);
    let self_href = format!("{o}/collections/{}/items/{}", c.id, urlencode(&fid));
    feature["links"] = json!([
        { "rel": "self", "type": GEOJSON, "href": format!("{self_href}?f=json") },
        { "rel": "alternate", "type": "text/html", "href": format!("{self_href}?f=html") },
        { "rel": "collection", "type": "application/json", "href": format!("{o}/collections/{}", c.id) }
    ]);
    let mut res = if format == Format::Html {
        Html(html::item(c, &feature, crs)).into_response()
    } else {
        super::json_response(&feature, GEOJSON)
    };
    crs_header(&mut res, crs);
    if let Some(v) = version
        && let Ok(h) = HeaderValue::from_str(&etag(v))
    {
        res.headers_mut().insert(header::ETAG, h);
    }
    Ok(res)
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

//! The query parameters of `/collections/{id}/items` and the SQL they turn into.
//!
//! Parsing is strict: an unknown parameter, a repeated one or a malformed value is a 400 that
//! names it (OGC API - Features Part 1 asks servers to refuse parameters they do not know).
//! Every value reaches SQL as a bind parameter; names (properties, sort keys) only select SQL
//! expressions from the collection's table in [`super::collections`].

use chrono::{DateTime, Datelike, NaiveDate};

use super::collections::{Collection, PType, Prop};
use super::cql2::{self, BindValue, FilterLang, QType, SqlParams};
use crate::crs::Crs;
use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 10_000;
/// HTML pages show at most this many features (the JSON has no such cap below [`MAX_LIMIT`]).
pub const MAX_HTML_LIMIT: i64 = 1_000;

/// The representation asked for (`f` or `Accept`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html,
}

/// `f=json|geojson|html` wins; otherwise `Accept: text/html` (a browser) means HTML.
pub fn format(f: Option<&str>, headers: &axum::http::HeaderMap) -> Result<Format, ApiError> {
    match f {
        Some("json" | "geojson" | "application/json" | "application/geo+json") => {
            return Ok(Format::Json);
        }
        Some("html" | "text/html") => return Ok(Format::Html),
        Some(other) => {
            return Err(ApiError::bad_request(
                format!(
                    "Nilai f='{}' tidak dikenal; gunakan json atau html.",
                    clip(other)
                ),
                format!("Unknown f='{}'; use json or html.", clip(other)),
            ));
        }
        None => {}
    }
    let accept = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // Browsers list text/html first; API clients ask for JSON.
    let html = accept.contains("text/html")
        && !accept.starts_with("application/json")
        && !accept.starts_with("application/geo+json");
    Ok(if html { Format::Html } else { Format::Json })
}

pub fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

fn bad(param: &str, id: impl Into<String>, en: impl Into<String>) -> ApiError {
    let (id, en) = (id.into(), en.into());
    ApiError::bad_request(
        format!("Parameter '{param}': {id}"),
        format!("Parameter '{param}': {en}"),
    )
}

/// The parameters of an items request, checked.
#[derive(Debug)]
pub struct ItemsQuery {
    pub limit: i64,
    pub offset: i64,
    pub bbox: Option<[f64; 4]>,
    pub bbox_crs: Crs,
    pub crs: Crs,
    /// `datetime`: start and end (`None` = open).
    pub datetime: Option<(Option<String>, Option<String>)>,
    pub filter: Option<String>,
    pub filter_lang: FilterLang,
    pub filter_crs: Crs,
    /// `properties=`: `None` = all.
    pub properties: Option<Vec<&'static Prop>>,
    pub sortby: Vec<(SortKey, bool)>,
    pub equals: Vec<(&'static Prop, String)>,
    pub format: Format,
    /// The parameters as given, to build `next` / `prev` links.
    pub raw: Vec<(String, String)>,
}

/// A sort key: a property or the feature id.
#[derive(Debug, Clone, Copy)]
pub enum SortKey {
    Prop(&'static Prop),
    Id,
}

const KNOWN: &[&str] = &[
    "f",
    "limit",
    "offset",
    "bbox",
    "bbox-crs",
    "crs",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
    "properties",
    "sortby",
];

/// Parameters an item request (`/items/{fid}`) accepts.
pub const ITEM_PARAMS: &[&str] = &["f", "crs", "properties"];

impl ItemsQuery {
    pub fn parse(
        c: &'static Collection,
        raw: Vec<(String, String)>,
        headers: &axum::http::HeaderMap,
    ) -> Result<ItemsQuery, ApiError> {
        let mut seen: Vec<&str> = Vec::new();
        for (k, v) in &raw {
            // PostgreSQL text cannot hold NUL; say so instead of failing in the database.
            if v.contains('\0') {
                return Err(bad(
                    k,
                    "berisi karakter NUL (%00).",
                    "contains a NUL character (%00).",
                ));
            }
            if seen.contains(&k.as_str()) {
                return Err(bad(
                    k,
                    "diberikan lebih dari sekali.",
                    "given more than once.",
                ));
            }
            seen.push(k);
            let is_prop = c
                .prop(k)
                .is_some_and(|p| p.queryable && matches!(p.ty, PType::Scalar(_)));
            if !KNOWN.contains(&k.as_str()) && !is_prop {
                return Err(unknown_param(k, c));
            }
        }
        let get = |k: &str| raw.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());

        let limit = match get("limit") {
            None => DEFAULT_LIMIT,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n >= 1 => n.min(MAX_LIMIT),
                _ => {
                    return Err(bad(
                        "limit",
                        format!("'{}' bukan bilangan bulat 1..{MAX_LIMIT}.", clip(v)),
                        format!("'{}' is not an integer 1..{MAX_LIMIT}.", clip(v)),
                    ));
                }
            },
        };
        let offset = match get("offset") {
            None => 0,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (0..=i64::from(i32::MAX)).contains(&n) => n,
                _ => {
                    return Err(bad(
                        "offset",
                        format!("'{}' bukan bilangan bulat ≥ 0.", clip(v)),
                        format!("'{}' is not an integer ≥ 0.", clip(v)),
                    ));
                }
            },
        };
        let crs_param = |name: &str| -> Result<Crs, ApiError> {
            match get(name) {
                None => Ok(Crs::Crs84),
                Some(v) => Crs::parse(v).ok_or_else(|| unknown_crs(name, v)),
            }
        };
        let crs = crs_param("crs")?;
        let bbox_crs = crs_param("bbox-crs")?;
        let filter_crs = crs_param("filter-crs")?;
        let bbox = get("bbox").map(parse_bbox).transpose()?;
        let datetime = match get("datetime") {
            None => None,
            Some(v) => {
                if c.temporal.is_none() {
                    return Err(bad(
                        "datetime",
                        format!("koleksi '{}' tidak memiliki waktu.", c.id),
                        format!("collection '{}' has no time.", c.id),
                    ));
                }
                Some(parse_datetime(v)?)
            }
        };
        let filter_lang = match get("filter-lang") {
            None => FilterLang::Text,
            Some(v) => FilterLang::parse(v).ok_or_else(|| {
                bad(
                    "filter-lang",
                    format!(
                        "'{}' tidak dikenal; gunakan cql2-text atau cql2-json.",
                        clip(v)
                    ),
                    format!("'{}' is unknown; use cql2-text or cql2-json.", clip(v)),
                )
            })?,
        };
        let filter = get("filter").map(str::to_string);
        let properties = match get("properties") {
            None => None,
            Some(v) => Some(
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|name| {
                        c.prop(name)
                            .ok_or_else(|| unknown_prop("properties", name, c))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let mut sortby = Vec::new();
        if let Some(v) = get("sortby") {
            for key in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (desc, name) = if let Some(n) = key.strip_prefix('-') {
                    (true, n)
                } else {
                    (false, key.strip_prefix('+').unwrap_or(key))
                };
                let k = if name == "id" {
                    SortKey::Id
                } else {
                    match c.prop(name) {
                        Some(p) if p.queryable && matches!(p.ty, PType::Scalar(_)) => {
                            SortKey::Prop(p)
                        }
                        _ => return Err(unknown_prop("sortby", name, c)),
                    }
                };
                sortby.push((k, desc));
            }
        }
        let equals = raw
            .iter()
            .filter_map(|(k, v)| {
                c.prop(k)
                    .filter(|p| p.queryable && matches!(p.ty, PType::Scalar(_)))
                    .map(|p| (p, v.clone()))
            })
            .collect();
        let format = format(get("f"), headers)?;
        Ok(ItemsQuery {
            limit,
            offset,
            bbox,
            bbox_crs,
            crs,
            datetime,
            filter,
            filter_lang,
            filter_crs,
            properties,
            sortby,
            equals,
            format,
            raw,
        })
    }
}

pub fn unknown_param(k: &str, c: &Collection) -> ApiError {
    let names: Vec<String> = KNOWN
        .iter()
        .map(|s| s.to_string())
        .chain(
            c.queryables()
                .into_iter()
                .filter(|q| q.ty != QType::Geometry)
                .map(|q| q.name),
        )
        .collect();
    bad(
        &clip(k),
        format!(
            "parameter tidak dikenal. Yang dikenal: {}.",
            names.join(", ")
        ),
        format!("unknown parameter. Known: {}.", names.join(", ")),
    )
}

fn unknown_prop(param: &str, name: &str, c: &Collection) -> ApiError {
    let names: Vec<&str> = c
        .props
        .iter()
        .filter(|p| param == "properties" || p.queryable)
        .map(|p| p.name)
        .collect();
    bad(
        param,
        format!(
            "properti '{}' tidak dikenal di koleksi '{}'. Yang ada: {}.",
            clip(name),
            c.id,
            names.join(", ")
        ),
        format!(
            "unknown property '{}' in collection '{}'. Available: {}.",
            clip(name),
            c.id,
            names.join(", ")
        ),
    )
}

pub fn unknown_crs(param: &str, v: &str) -> ApiError {
    let list = crate::crs::all_uris().join(", ");
    bad(
        param,
        format!("CRS '{}' tidak didukung. Yang didukung: {list}.", clip(v)),
        format!("CRS '{}' is not supported. Supported: {list}.", clip(v)),
    )
}

fn parse_bbox(v: &str) -> Result<[f64; 4], ApiError> {
    let nums: Result<Vec<f64>, _> = v.split(',').map(|s| s.trim().parse::<f64>()).collect();
    let err = || {
        bad(
            "bbox",
            format!(
                "'{}' harus berisi 4 (atau 6) angka: minx,miny,maxx,maxy, dengan min ≤ max.",
                clip(v)
            ),
            format!(
                "'{}' must be 4 (or 6) numbers: minx,miny,maxx,maxy, with min ≤ max.",
                clip(v)
            ),
        )
    };
    let nums = nums.map_err(|_| err())?;
    let b = match nums.as_slice() {
        [a, b, c, d] => [*a, *b, *c, *d],
        [a, b, _, d, e, _] => [*a, *b, *d, *e],
        _ => return Err(err()),
    };
    if b.iter().any(|x| !x.is_finite()) || b[0] > b[2] || b[1] > b[3] {
        return Err(err());
    }
    Ok(b)
}

fn valid_instant(s: &str) -> bool {
    DateTime::parse_from_rfc3339(s).is_ok() || NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

fn before_year_one(s: &str) -> bool {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.year() < 1)
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d").map(|d| d.year() < 1))
        .unwrap_or(false)
}

fn parse_datetime(v: &str) -> Result<(Option<String>, Option<String>), ApiError> {
    let err = || {
        bad(
            "datetime",
            format!(
                "'{}' bukan waktu RFC 3339, tanggal, atau interval 'awal/akhir' (gunakan '..' untuk ujung terbuka).",
                clip(v)
            ),
            format!(
                "'{}' is not an RFC 3339 time, a date, or an interval 'start/end' (use '..' for an open end).",
                clip(v)
            ),
        )
    };
    // An interval end before year 1 is an open end: PostgreSQL has no year 0, and QGIS writes
    // `"t" <= x` as `datetime=0000-01-01T00:00:00Z/x`.
    let end = |s: &str| -> Result<Option<String>, ApiError> {
        if s.is_empty() || s == ".." {
            Ok(None)
        } else if valid_instant(s) {
            Ok((!before_year_one(s)).then(|| s.to_string()))
        } else {
            Err(err())
        }
    };
    match v.split_once('/') {
        None => {
            if !valid_instant(v) {
                return Err(err());
            }
            Ok((Some(v.to_string()), Some(v.to_string())))
        }
        Some((a, b)) => {
            if [a, b].iter().all(|s| s.is_empty() || *s == "..") {
                return Err(err());
            }
            Ok((end(a)?, end(b)?))
        }
    }
}

fn bind_typed(params: &mut SqlParams, prop: &Prop, v: &str) -> Result<String, ApiError> {
    let PType::Scalar(ty) = prop.ty else {
        return Err(bad(
            prop.name,
            "tidak dapat difilter.",
            "cannot be filtered.",
        ));
    };
    let wrong = |what_id: &str, what_en: &str| {
        bad(
            prop.name,
            format!("'{}' bukan {what_id}.", clip(v)),
            format!("'{}' is not {what_en}.", clip(v)),
        )
    };
    Ok(match ty {
        QType::String => params.push(BindValue::Text(v.to_string()), "text"),
        QType::Integer => {
            let n: i64 = v
                .parse()
                .map_err(|_| wrong("bilangan bulat", "an integer"))?;
            params.push(BindValue::Int(n), "int8")
        }
        QType::Number => {
            let n: f64 = v
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite())
                .ok_or_else(|| wrong("angka", "a number"))?;
            params.push(BindValue::Float(n), "float8")
        }
        QType::Boolean => match v {
            "true" => params.push(BindValue::Bool(true), "boolean"),
            "false" => params.push(BindValue::Bool(false), "boolean"),
            _ => return Err(wrong("true atau false", "true or false")),
        },
        QType::Date | QType::DateTime => {
            if !valid_instant(v) {
                return Err(wrong(
                    "tanggal atau waktu RFC 3339",
                    "a date or RFC 3339 time",
                ));
            }
            params.push(
                BindValue::Text(v.to_string()),
                if ty == QType::Date {
                    "date"
                } else {
                    "timestamptz"
                },
            )
        }
        QType::Geometry => {
            return Err(bad(
                prop.name,
                "tidak dapat difilter.",
                "cannot be filtered.",
            ));
        }
    })
}

/// The `WHERE` clause (without the keyword) and its parameters for an items request.
pub fn where_clause(c: &Collection, q: &ItemsQuery) -> Result<(String, SqlParams), ApiError> {
    let mut params = SqlParams::default();
    let mut conds: Vec<String> = vec![c.base_condition().to_string()];
    if let Some(b) = q.bbox {
        let ps: Vec<String> = b
            .iter()
            .map(|v| params.push(BindValue::Float(*v), "float8"))
            .collect();
        let env = q.bbox_crs.to_storage_sql(&format!(
            "ST_MakeEnvelope({}, {}, {}, {}, {})",
            ps[0],
            ps[1],
            ps[2],
            ps[3],
            q.bbox_crs.srid()
        ));
        conds.push(format!(
            "({g} && {env} AND ST_Intersects({g}, {env}))",
            g = c.geom_sql
        ));
    }
    if let (Some((start, end)), Some((s_col, e_col))) = (&q.datetime, c.temporal) {
        let e_col = e_col.map_or(s_col.to_string(), |e| format!("coalesce({e}, 'infinity')"));
        if let Some(end) = end {
            let p = params.push(BindValue::Text(end.clone()), "timestamptz");
            conds.push(format!("{s_col} <= {p}"));
        }
        if let Some(start) = start {
            let p = params.push(BindValue::Text(start.clone()), "timestamptz");
            conds.push(format!("{e_col} >= {p}"));
        }
    }
    for (prop, v) in &q.equals {
        let p = bind_typed(&mut params, prop, v)?;
        conds.push(format!("{} = {p}", prop.sql));
    }
    if let Some(f) = &q.filter {
        let sql =
            cql2::translate_into(&mut params, f, q.filter_lang, &c.queryables(), q.filter_crs)
                .map_err(|e| {
                    ApiError::bad_request(
                        format!("Parameter 'filter': {}", e.detail_id()),
                        format!("Parameter 'filter': {e}"),
                    )
                })?;
        conds.push(sql);
    }
    Ok((conds.join(" AND "), params))
}

/// `ORDER BY` (without the keyword): the requested keys, then the id so that paging is stable.
pub fn order_by(c: &Collection, q: &ItemsQuery) -> String {
    let mut keys: Vec<String> = q
        .sortby
        .iter()
        .map(|(k, desc)| {
            let sql = match k {
                SortKey::Prop(p) => p.sql,
                SortKey::Id => c.id_sql,
            };
            if *desc {
                format!("{sql} DESC NULLS LAST")
            } else {
                format!("{sql} ASC NULLS LAST")
            }
        })
        .collect();
    keys.push(c.id_sql.to_string());
    keys.join(", ")
}

/// SQL of one feature as GeoJSON text, geometry in `crs`.
pub fn feature_sql(c: &Collection, props: &[&Prop], crs: Crs) -> String {
    let geom = match (crs, c.geom_3857_sql) {
        (Crs::WebMercator, Some(g)) => g.to_string(),
        _ => crs.from_storage_sql(c.geom_sql),
    };
    let mut pairs = String::new();
    for (i, p) in props.iter().enumerate() {
        if i > 0 {
            pairs.push_str(", ");
        }
        pairs.push_str(&format!("'{}', {}", p.name, p.sql));
    }
    format!(
        "'{{\"type\":\"Feature\",\"id\":' || to_json({id})::text || \
         ',\"geometry\":' || coalesce(ST_AsGeoJSON({geom}, {dec}), 'null') || \
         ',\"properties\":' || json_build_object({pairs})::text || '}}'",
        id = c.id_sql,
        dec = crs.decimals(),
    )
}

/// The `FROM` clause for counting: the bare table when the condition needs no joined column.
pub fn count_from(c: &Collection, where_sql: &str) -> String {
    let joined = c
        .props
        .iter()
        .any(|p| !p.sql.starts_with("t.") && where_sql.contains(p.sql));
    if joined {
        c.from.to_string()
    } else {
        format!("{} t", c.table)
    }
}

/// Applies bind values in order to a sqlx query.
#[macro_export]
macro_rules! bind_values {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                $crate::ogc::cql2::BindValue::Text(s) => q.bind(s.clone()),
                $crate::ogc::cql2::BindValue::Float(f) => q.bind(*f),
                $crate::ogc::cql2::BindValue::Int(i) => q.bind(*i),
                $crate::ogc::cql2::BindValue::Bool(b) => q.bind(*b),
            };
        }
        q
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_and_datetime_parsing() {
        assert_eq!(parse_bbox("1,2,3,4").unwrap(), [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(parse_bbox("1,2,0,3,4,9").unwrap(), [1.0, 2.0, 3.0, 4.0]);
        for bad in ["", "1,2,3", "a,b,c,d", "3,2,1,4", "1,2,3,NaN", "1,2,3,4,5"] {
            assert!(parse_bbox(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_datetime("2025-01-01/..").unwrap(),
            (Some("2025-01-01".into()), None)
        );
        assert!(parse_datetime("../..").is_err());
        // QGIS's open start.
        assert_eq!(
            parse_datetime("0000-01-01T00:00:00Z/2026-05-01T00:00:00Z").unwrap(),
            (None, Some("2026-05-01T00:00:00Z".into()))
        );
        assert!(parse_datetime("yesterday").is_err());
        assert!(parse_datetime("2025-13-01").is_err());
    }
}

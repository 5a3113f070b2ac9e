//! HTML pages of the OGC API for people in a browser (the landing page `/` is the front door of
//! `crate::web::front`): conformance, API, collections,
//! a collection, its queryables, a page of items and one item. Maps are inline SVG drawn from
//! the features' GeoJSON (no script, no tiles); the full interactive map is `/peta`.

use serde_json::Value;

use super::collections::Collection;
use crate::crs::Crs;

pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>body{{font-family:system-ui,sans-serif;max-width:60rem;\
         margin:1.5rem auto;padding:0 1rem;color:#222}}table{{border-collapse:collapse}}\
         td,th{{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}}\
         .n{{text-align:right;font-variant-numeric:tabular-nums}}nav a{{margin-right:1rem}}\
         svg{{border:1px solid #ccc;background:#f7f9fb;max-width:100%;height:auto}}\
         code{{background:#f2f2f2;padding:0 .2rem}}</style></head><body>\
         <nav><a href=\"/\">ruang</a><a href=\"/collections?f=html\">Koleksi / collections</a>\
         <a href=\"/peta\">Peta / map</a><a href=\"/api?f=html\">API</a></nav>\
         <h1>{t}</h1>{body}</body></html>",
        t = esc(title)
    )
}

pub fn conformance() -> String {
    let items: String = super::CONFORMANCE
        .iter()
        .map(|c| format!("<li><code>{}</code></li>", esc(c)))
        .collect();
    page(
        "Kelas kesesuaian / Conformance",
        &format!("<ul>{items}</ul>"),
    )
}

pub fn api_doc(doc: &Value) -> String {
    let mut rows = String::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, ops) in paths {
            if let Some(ops) = ops.as_object() {
                for (method, op) in ops {
                    if method == "parameters" {
                        continue;
                    }
                    rows.push_str(&format!(
                        "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                        esc(&method.to_uppercase()),
                        esc(path),
                        esc(op["summary"].as_str().unwrap_or(""))
                    ));
                }
            }
        }
    }
    page(
        "API",
        &format!(
            "<p>Definisi OpenAPI 3.0 lengkap / the full OpenAPI 3.0 definition: \
             <a href=\"/api\">/api</a></p><table><tr><th>method</th><th>path</th><th>\
             </th></tr>{rows}</table>"
        ),
    )
}

pub fn collections(list: &[Value]) -> String {
    let mut rows = String::new();
    for c in list {
        let id = c["id"].as_str().unwrap_or("");
        rows.push_str(&format!(
            "<tr><td><a href=\"/collections/{id}?f=html\">{}</a></td><td>{}</td>\
             <td><a href=\"/collections/{id}/items?f=html\">fitur / items</a></td></tr>",
            esc(c["title"].as_str().unwrap_or(id)),
            esc(c["description"].as_str().unwrap_or("")),
        ));
    }
    page(
        "Koleksi / Collections",
        &format!("<table>{rows}</table><p><a href=\"/collections?f=json\">JSON</a></p>"),
    )
}

pub fn collection(c: &Collection, v: &Value) -> String {
    let bbox = &v["extent"]["spatial"]["bbox"][0];
    let temporal = v["extent"]["temporal"]["interval"][0].to_string();
    let mut props = String::new();
    for p in c.props {
        props.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            p.name,
            esc(p.title)
        ));
    }
    page(
        c.title,
        &format!(
            "<p>{}</p><p>Batas / extent: <code>{}</code>{}</p>\
             <p><a href=\"/collections/{id}/items?f=html\">Fitur / items</a> · \
             <a href=\"/collections/{id}/queryables?f=html\">Queryables</a> · \
             <a href=\"/collections/{id}?f=json\">JSON</a> · <a href=\"/peta\">Peta / map</a></p>\
             <h2>Properti / properties</h2><table>{props}</table>",
            esc(c.description),
            esc(&bbox.to_string()),
            if c.temporal.is_some() {
                format!(" · waktu / time: <code>{}</code>", esc(&temporal))
            } else {
                String::new()
            },
            id = c.id
        ),
    )
}

pub fn queryables(c: &Collection, v: &Value) -> String {
    let mut rows = String::new();
    if let Some(m) = v["properties"].as_object() {
        for (k, s) in m {
            rows.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(k),
                esc(s["type"].as_str().or(s["format"].as_str()).unwrap_or("")),
                esc(s["title"].as_str().unwrap_or(""))
            ));
        }
    }
    page(
        &format!("Queryables: {}", c.title),
        &format!(
            "<p>Contoh / example: <code>/collections/{}/items?filter=...</code> (CQL2)</p><table>{rows}</table>",
            c.id
        ),
    )
}

/// Pages of items: a map of the page and a table of the features.
pub fn items(
    c: &Collection,
    features: &[Value],
    matched: i64,
    offset: i64,
    links: &[Value],
    crs: Crs,
) -> String {
    let mut rows = String::new();
    let names: Vec<&str> = features
        .first()
        .and_then(|f| f["properties"].as_object())
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let head: String = names
        .iter()
        .map(|n| format!("<th>{}</th>", esc(n)))
        .collect();
    for f in features {
        let id = match &f["id"] {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let cells: String = names
            .iter()
            .map(|n| format!("<td>{}</td>", esc(&scalar(&f["properties"][*n]))))
            .collect();
        rows.push_str(&format!(
            "<tr><td><a href=\"/collections/{}/items/{}?f=html\">{}</a></td>{cells}</tr>",
            c.id,
            super::items::urlencode(&id),
            esc(&id)
        ));
    }
    let nav: String = links
        .iter()
        .filter(|l| matches!(l["rel"].as_str(), Some("next" | "prev")))
        .map(|l| {
            let href = l["href"].as_str().unwrap_or("").replace("f=json", "f=html");
            format!(
                "<a href=\"{}\">{}</a> ",
                esc(&href),
                if l["rel"] == "next" {
                    "berikutnya / next →"
                } else {
                    "← sebelumnya / previous"
                }
            )
        })
        .collect();
    let geoms: Vec<&Value> = features.iter().map(|f| &f["geometry"]).collect();
    page(
        &format!("{} — fitur / items", c.title),
        &format!(
            "<p>{} dari / of {matched} (mulai / from {}). {nav}</p>{}\
             <table><tr><th>id</th>{head}</tr>{rows}</table><p>{nav}</p>",
            features.len(),
            offset + 1,
            svg(&geoms, crs)
        ),
    )
}

pub fn item(c: &Collection, f: &Value, crs: Crs) -> String {
    let mut rows = String::new();
    if let Some(m) = f["properties"].as_object() {
        for (k, v) in m {
            rows.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                esc(k),
                esc(&scalar(v))
            ));
        }
    }
    let id = match &f["id"] {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    page(
        &format!("{} {}", c.title, id),
        &format!(
            "{}<table>{rows}</table><p><a href=\"/collections/{cid}/items?f=html\">← {}</a> · \
             <a href=\"?f=json\">GeoJSON</a> · <a href=\"/peta\">Peta / map</a></p>",
            svg(&[&f["geometry"]], crs),
            esc(c.title),
            cid = c.id
        ),
    )
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Calls `f` on every coordinate pair of a GeoJSON geometry.
fn walk(v: &Value, f: &mut dyn FnMut(f64, f64)) {
    if let Some(a) = v.as_array() {
        if let (Some(x), Some(y)) = (
            a.first().and_then(Value::as_f64),
            a.get(1).and_then(Value::as_f64),
        ) {
            f(x, y);
        } else {
            for e in a {
                walk(e, f);
            }
        }
    }
}

/// An SVG drawing of GeoJSON geometries (at most a few thousand are expected).
pub fn svg(geoms: &[&Value], crs: Crs) -> String {
    let swap = crs.lat_first();
    let xy = |x: f64, y: f64| if swap { (y, x) } else { (x, y) };
    let (mut x1, mut y1, mut x2, mut y2) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for g in geoms {
        walk(&g["coordinates"], &mut |a, b| {
            let (x, y) = xy(a, b);
            x1 = x1.min(x);
            y1 = y1.min(y);
            x2 = x2.max(x);
            y2 = y2.max(y);
        });
    }
    if x1 > x2 {
        return String::new();
    }
    // Degrees: shrink x by cos(latitude) so shapes keep their proportions.
    let kx = if crs.geographic() {
        ((y1 + y2) / 2.0).to_radians().cos().max(0.1)
    } else {
        1.0
    };
    let w = ((x2 - x1) * kx).max(1e-9);
    let h = (y2 - y1).max(1e-9);
    let (width, height) = (640.0, (640.0 * h / w).clamp(120.0, 640.0));
    let s = (width / w).min(height / h) * 0.94;
    let (ox, oy) = ((width - w * s) / 2.0, (height - h * s) / 2.0);
    let px = |a: f64, b: f64| {
        let (x, y) = xy(a, b);
        (ox + (x - x1) * kx * s, height - oy - (y - y1) * s)
    };
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width} {height:.0}\" role=\"img\" aria-label=\"peta / map\">"
    );
    for g in geoms {
        let t = g["type"].as_str().unwrap_or("");
        match t {
            "Point" | "MultiPoint" => {
                walk(&g["coordinates"], &mut |a, b| {
                    let (x, y) = px(a, b);
                    out.push_str(&format!(
                        "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"#c0392b\"/>"
                    ));
                });
            }
            _ => {
                let mut d = String::new();
                let rings: Vec<&Value> = match t {
                    "Polygon" => g["coordinates"].as_array().map(|r| r.iter().collect()),
                    "MultiPolygon" => g["coordinates"]
                        .as_array()
                        .map(|p| p.iter().filter_map(Value::as_array).flatten().collect()),
                    "LineString" => Some(vec![&g["coordinates"]]),
                    "MultiLineString" => g["coordinates"].as_array().map(|r| r.iter().collect()),
                    _ => None,
                }
                .unwrap_or_default();
                for ring in rings {
                    let mut first = true;
                    walk(ring, &mut |a, b| {
                        let (x, y) = px(a, b);
                        d.push_str(&format!("{}{x:.1},{y:.1}", if first { "M" } else { "L" }));
                        first = false;
                    });
                    if t.ends_with("Polygon") {
                        d.push('Z');
                    }
                }
                let fill = if t.ends_with("Polygon") {
                    "rgba(41,128,185,.25)"
                } else {
                    "none"
                };
                out.push_str(&format!(
                    "<path d=\"{d}\" fill=\"{fill}\" fill-rule=\"evenodd\" stroke=\"#2471a3\" stroke-width=\"1\"/>"
                ));
            }
        }
    }
    out.push_str("</svg>");
    out
}

//! Tile SQL, built once per layer and zoom at start-up. Pure functions: no database here.
//!
//! Shape of one layer's query (z, x, y are the bind parameters $1, $2, $3):
//!
//! ```sql
//! SELECT coalesce((SELECT ST_AsMVT(t.*, 'zones', 4096, 'geom', 'id') FROM (
//!     SELECT s."id", s."zone_code", ...,
//!            ST_AsMVTGeom(s."geom_3857", ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom
//!       FROM "zones" AS s            -- or (<source sql>) AS s
//!      WHERE s."geom_3857" && ST_TileEnvelope($1, $2, $3, margin => 64 / 4096.0)
//!        AND (<filter>)
//! ) AS t), ''::bytea)
//! ```
//!
//! The geometry is a stored EPSG:3857 column, so no row is transformed, and the `&&` test uses
//! that column's GIST index. At zooms with a simplification tolerance the geometry goes through
//! `ST_Simplify(g, tol, true)` first. A composite tile is the concatenation of its layers'
//! tiles (MVT layers are independent protobuf messages), in one statement.

use super::layer::{LayerDef, Source, quote_ident};

pub const EXTENT: u32 = 4096;

/// The sub-query giving one layer's MVT bytes at zoom `z` (empty bytes when nothing is there).
pub fn layer_query(layer: &LayerDef, z: u8) -> String {
    let g = format!("s.{}", quote_ident(&layer.geometry));
    let geom = match layer.tolerance_at(z) {
        Some(tol) => format!("ST_Simplify({g}, {tol:?}, true)"),
        None => g.clone(),
    };
    let mut cols = vec![format!("s.{}", quote_ident(&layer.id))];
    cols.extend(
        layer
            .properties
            .iter()
            .map(|p| format!("s.{}", quote_ident(p))),
    );
    let filter = layer
        .filter
        .as_deref()
        .map(|f| format!(" AND ({f})"))
        .unwrap_or_default();
    let margin = layer.buffer as f64 / EXTENT as f64;
    format!(
        "coalesce((SELECT ST_AsMVT(t.*, '{name}', {EXTENT}, 'geom', {id}) FROM (\
         SELECT {cols}, ST_AsMVTGeom({geom}, ST_TileEnvelope($1, $2, $3), {EXTENT}, {buffer}, true) AS geom \
         FROM {from} AS s \
         WHERE {g} && ST_TileEnvelope($1, $2, $3, margin => {margin:?}){filter}\
         ) AS t), ''::bytea)",
        name = layer.name,
        from = from_item(layer),
        id = sql_string(&layer.id),
        cols = cols.join(", "),
        buffer = layer.buffer,
    )
}

/// The whole statement for a tileset (one or more layers) at zoom `z`; `None` when no layer
/// of the set is visible at `z`.
pub fn tile_query(layers: &[&LayerDef], z: u8) -> Option<String> {
    let parts: Vec<String> = layers
        .iter()
        .filter(|l| l.minzoom <= z && z <= l.maxzoom)
        .map(|l| layer_query(l, z))
        .collect();
    if parts.is_empty() {
        None
    } else {
        Some(format!("SELECT {}", parts.join(" || ")))
    }
}

/// The bounding box (EPSG:3857: west, south, east, north) of every feature of the layer's
/// source, filter ignored, for the occupancy map.
pub fn bbox_query(layer: &LayerDef) -> String {
    let g = format!("s.{}", quote_ident(&layer.geometry));
    format!(
        "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (\
         SELECT Box2D({g}) AS b FROM {from} AS s) AS q WHERE b IS NOT NULL",
        from = from_item(layer)
    )
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The layer's source as a FROM item: its quoted table, or its SQL in parentheses.
fn from_item(layer: &LayerDef) -> String {
    match &layer.source {
        Source::Table(t) => quote_ident(t),
        Source::Sql(sql) => format!("({sql})"),
    }
}

/// The layer's rows as `s`: `<source> AS s`, with ` WHERE (<filter>)` when it has one.
pub fn rows(layer: &LayerDef) -> String {
    let filter = layer
        .filter
        .as_deref()
        .map(|f| format!(" WHERE ({f})"))
        .unwrap_or_default();
    format!("{} AS s{filter}", from_item(layer))
}

/// The query used at start-up to check a layer's columns: same FROM and filter, no rows.
pub fn probe_query(layer: &LayerDef) -> String {
    format!("SELECT * FROM {} LIMIT 0", rows(layer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn layer(extra: &str) -> LayerDef {
        let text = format!(
            "name = \"zones\"\ntitle = \"Z\"\nminzoom = 10\nmaxzoom = 20\ngeometry = \"geom_3857\"\n\
             id = \"id\"\nproperties = [\"zone_code\"]\n{extra}\n[source]\ntable = \"zones\"\n\
             filter = \"plan_id = 1\"\n[simplify]\n12 = 8.0\n"
        );
        LayerDef::parse(Path::new("zones.toml"), &text).unwrap()
    }

    #[test]
    fn layer_sql_binds_zxy_quotes_identifiers_and_uses_the_stored_geometry() {
        let sql = layer_query(&layer(""), 15);
        assert!(
            sql.contains("ST_AsMVT(t.*, 'zones', 4096, 'geom', 'id')"),
            "{sql}"
        );
        assert!(sql.contains("s.\"id\", s.\"zone_code\""), "{sql}");
        assert!(
            sql.contains(
                "ST_AsMVTGeom(s.\"geom_3857\", ST_TileEnvelope($1, $2, $3), 4096, 64, true)"
            ),
            "{sql}"
        );
        assert!(sql.contains("FROM \"zones\" AS s WHERE s.\"geom_3857\" && ST_TileEnvelope($1, $2, $3, margin => 0.015625) AND (plan_id = 1)"), "{sql}");
        assert!(!sql.contains("ST_Transform"), "{sql}");
        assert!(
            !sql.contains("ST_Simplify"),
            "no simplification above zoom 12: {sql}"
        );
    }

    #[test]
    fn low_zooms_are_simplified() {
        let sql = layer_query(&layer(""), 11);
        assert!(
            sql.contains("ST_Simplify(s.\"geom_3857\", 8.0, true)"),
            "{sql}"
        );
    }

    #[test]
    fn composite_concatenates_visible_layers_only() {
        let a = layer("");
        let b = layer("buffer = 16");
        assert!(tile_query(&[&a, &b], 9).is_none());
        let sql = tile_query(&[&a, &b], 14).unwrap();
        assert!(sql.starts_with("SELECT coalesce("), "{sql}");
        assert_eq!(sql.matches(" || ").count(), 1, "{sql}");
        assert!(sql.contains("4096, 16, true"), "{sql}");
    }

    #[test]
    fn probe_keeps_source_and_filter() {
        assert_eq!(
            probe_query(&layer("")),
            "SELECT * FROM \"zones\" AS s WHERE (plan_id = 1) LIMIT 0"
        );
    }
}

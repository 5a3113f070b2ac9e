//! The toolbox for describing routes in OpenAPI 3.0: [`Op`] (one operation), parameters,
//! [`Paths`] (path items being collected). Each module describes its own routes with it next to
//! the routes (`check::openapi`, `monitor::openapi`, `import::openapi`, `web::openapi`; the
//! operations and tiles in `ogc::apidoc`); [`crate::ogc::openapi::document`] merges them into
//! `/api`, and `tests/ogc_api.rs` holds every route of `src/` to being described.

use serde_json::{Map, Value, json};

pub fn problem() -> Value {
    json!({ "$ref": "#/components/responses/Problem" })
}

pub fn p_path(name: &str, desc: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": desc,
            "schema": { "type": "string" } })
}

pub fn p_query(name: &str, desc: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": desc,
            "schema": { "type": "string" } })
}

pub fn p_query_required(name: &str, desc: &str) -> Value {
    json!({ "name": name, "in": "query", "required": true, "description": desc,
            "schema": { "type": "string" } })
}

/// One operation: `ok` is the success status with its media types, `errors` the problem
/// statuses it may answer, `auth` whether it needs a caller (bearer token or session cookie).
pub struct Op<'a> {
    pub id: &'a str,
    pub tag: &'a str,
    pub summary: &'a str,
    pub params: Vec<Value>,
    pub body: &'a [&'a str],
    pub ok: (&'a str, &'a [&'a str]),
    pub errors: &'a [&'a str],
    pub auth: bool,
}

impl Op<'_> {
    fn json(self) -> Value {
        let mut responses = Map::new();
        let mut ok = json!({ "description": "OK" });
        if !self.ok.1.is_empty() {
            let content: Map<String, Value> = self
                .ok
                .1
                .iter()
                .map(|t| (t.to_string(), json!({})))
                .collect();
            ok["content"] = Value::Object(content);
        }
        responses.insert(self.ok.0.to_string(), ok);
        for s in self.errors {
            responses.insert(s.to_string(), problem());
        }
        let mut op = json!({
            "operationId": self.id,
            "tags": [self.tag],
            "summary": self.summary,
            "responses": responses,
        });
        if !self.params.is_empty() {
            op["parameters"] = Value::Array(self.params);
        }
        if !self.body.is_empty() {
            let content: Map<String, Value> = self
                .body
                .iter()
                .map(|t| (t.to_string(), json!({ "schema": {} })))
                .collect();
            op["requestBody"] = json!({ "required": true, "content": content });
        }
        if self.auth {
            op["security"] = json!([{ "bearerAuth": [] }, { "sessionCookie": [] }]);
        }
        op
    }
}

pub const JSON: &[&str] = &["application/json"];
pub const CSV_OR_JSON: &[&str] = &["application/json", "text/csv"];
pub const MVT: &str = "application/vnd.mapbox-vector-tile";

/// Path items being collected.
#[derive(Default)]
pub struct Paths(Map<String, Value>);

impl Paths {
    /// Describes `method` (lower case) of `path`.
    pub fn add(&mut self, path: &str, method: &str, op: Op) {
        let entry = self.0.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[method] = op.json();
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

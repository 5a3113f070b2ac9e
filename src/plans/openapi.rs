//! OpenAPI path items of `/api/plans...`, merged into `/api` by [`crate::ogc::openapi`].

use serde_json::{Value, json};

fn problem(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

fn plan_param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": "Plan id or name.",
           "schema": {"type": "string"}})
}

fn query(name: &str, desc: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": desc, "schema": {"type": "string"}})
}

fn ok(desc: &str, types: &[&str]) -> Value {
    let content: serde_json::Map<String, Value> =
        types.iter().map(|t| (t.to_string(), json!({}))).collect();
    json!({"description": desc, "content": content})
}

const AUTH: fn() -> Value = || json!([{ "bearerAuth": [] }, { "sessionCookie": [] }]);

pub fn paths() -> Value {
    let common = |extra: &[(&str, Value)]| {
        let mut m = serde_json::Map::new();
        m.insert("401".into(), problem("Not logged in"));
        m.insert(
            "403".into(),
            problem("Role not allowed (applicants may not read plans)"),
        );
        for (k, v) in extra {
            m.insert(k.to_string(), v.clone());
        }
        m
    };
    let with = |ok_status: &str, okv: Value, extra: &[(&str, Value)]| {
        let mut m = common(extra);
        m.insert(ok_status.into(), okv);
        Value::Object(m)
    };
    json!({
        "/rencana": {
            "get": {"tags": ["Web"], "operationId": "pageRencana",
                    "summary": "Planners' plans page: load a regulation, compare, impact, activate",
                    "responses": {"200": ok("The page", &["text/html"])}}
        },
        "/api/plans": {
            "get": {"tags": ["Rule book"], "operationId": "listPlans", "security": AUTH(),
                    "summary": "Zoning plans: the active one, drafts, retired ones (staff)",
                    "responses": with("200", ok("The plans", &["application/json"]), &[])},
            "post": {"tags": ["Rule book"], "operationId": "createPlan", "security": AUTH(),
                     "summary": "Create a draft plan (planner): {name, from?, empty?, legal_basis?, valid_from?}; a copy of `from` (default: the active plan)",
                     "requestBody": {"required": true, "content": {"application/json": {"schema": {}}}},
                     "responses": with("201", ok("The draft", &["application/json"]), &[
                         ("400", problem("Not a JSON object")), ("409", problem("The name is taken")),
                         ("415", problem("Not JSON")), ("422", problem("Bad field"))])}
        },
        "/api/plans/{plan}": {
            "get": {"tags": ["Rule book"], "operationId": "getPlan", "security": AUTH(),
                    "summary": "A plan and its append-only history",
                    "parameters": [plan_param("plan")],
                    "responses": with("200", ok("The plan and its history", &["application/json"]), &[("404", problem("No such plan"))])},
            "delete": {"tags": ["Rule book"], "operationId": "deletePlan", "security": AUTH(),
                       "summary": "Delete a draft (planner); active and retired plans stay",
                       "parameters": [plan_param("plan")],
                       "responses": with("204", json!({"description": "Deleted"}), &[("404", problem("No such plan")), ("409", problem("Not a draft"))])}
        },
        "/api/plans/{plan}/rules": {
            "get": {"tags": ["Rule book"], "operationId": "exportPlanRules", "security": AUTH(),
                    "summary": "The plan's ITBX matrix, intensity table, condition texts and KBLI catalogue as XLSX (every table) or CSV (one table)",
                    "parameters": [plan_param("plan"), query("format", "xlsx (default) or csv."),
                                   query("table", "itbx, intensity, conditions or activities (required for csv).")],
                    "responses": with("200", ok("The file", &["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv"]),
                                      &[("404", problem("No such plan")), ("422", problem("Bad format or table"))])},
            "post": {"tags": ["Rule book"], "operationId": "importPlanRules", "security": AUTH(),
                     "summary": "Load a regulation file (CSV, XLSX, XLS, ODS) into a draft (planner), all or nothing; a new name creates the draft from `from` or the active plan. Every bad cell is reported by sheet, row and column",
                     "parameters": [plan_param("plan")],
                     "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
                         "file": {"type": "string", "format": "binary"}, "sheet": {"type": "string"},
                         "table": {"type": "string"}, "from": {"type": "string"}, "dry_run": {"type": "string"}}}}}},
                     "responses": with("200", ok("What was loaded (201 when the draft was created)", &["application/json"]), &[
                         ("201", ok("The draft was created and loaded", &["application/json"])),
                         ("400", problem("Broken form")), ("409", problem("The plan is active or retired")),
                         ("413", problem("File or workbook too large")),
                         ("422", problem("Errors in the rule book, each with sheet, row and column; nothing was written"))])}
        },
        "/api/plans/{plan}/diff/{other}": {
            "get": {"tags": ["Rule book"], "operationId": "comparePlans", "security": AUTH(),
                    "summary": "What plan `other` changes against `plan`: sub-zones, ITBX cells, intensity values, condition texts, zones (m²); JSON, or HTML for a browser or f=html",
                    "parameters": [plan_param("plan"), plan_param("other"), query("f", "json or html.")],
                    "responses": with("200", ok("The comparison", &["application/json", "text/html"]), &[
                        ("404", problem("No such plan")), ("422", problem("Bad f"))])}
        },
        "/api/plans/{plan}/impact": {
            "get": {"tags": ["Rule book"], "operationId": "planImpact", "security": AUTH(),
                    "summary": "Issued permits and open applications whose outcome (or attached conditions) would change under the plan, with both decisions' findings and counts per kelurahan",
                    "parameters": [plan_param("plan"), query("against", "The plan to compare with (default: the active plan)."),
                                   query("full", "true: re-check every permit and application, not only those near a change.")],
                    "responses": with("200", ok("The impact", &["application/json"]), &[
                        ("404", problem("No such plan")), ("409", problem("No active plan"))])}
        },
        "/api/plans/{plan}/activate": {
            "post": {"tags": ["Rule book"], "operationId": "activatePlan", "security": AUTH(),
                     "summary": "Make a draft the active plan (admin) with a reason, optionally only at the version reviewed; the active plan is retired, checks made under it keep pointing at it",
                     "parameters": [plan_param("plan")],
                     "requestBody": {"required": true, "content": {"application/json": {"schema": {}}}},
                     "responses": with("200", ok("The activated plan", &["application/json"]), &[
                         ("400", problem("Not a JSON object")), ("404", problem("No such plan")),
                         ("409", problem("Not a draft, incomplete, or changed since the version reviewed")),
                         ("415", problem("Not JSON")), ("422", problem("No reason"))])}
        }
    })
}

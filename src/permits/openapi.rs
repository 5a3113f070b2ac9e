//! The permits routes as OpenAPI 3.0 path items and component schemas, for the server's OpenAPI
//! document (`/api`) to merge: `paths()` into `paths`, `schemas()` into `components.schemas`.
//! The security scheme names used are `bearerAuth` (HTTP bearer) and `sessionCookie` (API key
//! in the cookie `ruang_session`, with `X-CSRF-Token` on unsafe methods).

use serde_json::{Value, json};

use super::workflow::{Action, Decision, Status};

/// Every path this module serves (kept in step with [`super::routes`]).
pub const PATHS: &[&str] = &[
    "/api/auth/register",
    "/api/auth/login",
    "/api/auth/logout",
    "/api/auth/me",
    "/api/tokens",
    "/api/tokens/{id}",
    "/api/applications",
    "/api/applications/overdue",
    "/api/applications/{id}",
    "/api/applications/{id}/attachments",
    "/api/applications/{id}/attachments/{aid}",
    "/api/applications/{id}/actions/{action}",
    "/api/applications/{id}/transitions",
    "/permits/{key}",
];

fn problem(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

fn ok_json(desc: &str, schema: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn json_body(schema: &str) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn id_param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}})
}

fn if_match() -> Value {
    json!({"name": "If-Match", "in": "header", "required": true,
           "description": "The ETag (version) last read, e.g. \"3\"", "schema": {"type": "string"}})
}

fn secured() -> Value {
    json!([{"bearerAuth": []}, {"sessionCookie": []}])
}

/// OpenAPI path items of the permits routes.
pub fn paths() -> Value {
    let actions: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
    json!({
        "/api/auth/register": {"post": {
            "tags": ["accounts"], "summary": "Register as an applicant (role pemohon) and log in",
            "requestBody": json_body("Register"),
            "responses": {"201": ok_json("The user, the CSRF token; cookies ruang_session and ruang_csrf", "Session"),
                          "409": problem("E-mail taken"), "422": problem("Bad e-mail or password"),
                          "429": problem("Too many registrations from this address (Retry-After)")}}},
        "/api/auth/login": {"post": {
            "tags": ["accounts"], "summary": "Log in with e-mail and password",
            "requestBody": json_body("Login"),
            "responses": {"200": ok_json("The user, the CSRF token; cookies", "Session"),
                          "401": problem("Wrong e-mail or password (one message for both)"),
                          "429": problem("Too many failures; see Retry-After")}}},
        "/api/auth/logout": {"post": {
            "tags": ["accounts"], "summary": "End the browser session and clear the cookies",
            "responses": {"204": {"description": "Logged out"}}}},
        "/api/auth/me": {"get": {
            "tags": ["accounts"], "summary": "The logged-in user", "security": secured(),
            "responses": {"200": ok_json("The user", "Me"), "401": problem("Not logged in")}}},
        "/api/tokens": {"post": {
            "tags": ["accounts"], "summary": "Create a bearer token (shown once)", "security": secured(),
            "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}},
            "responses": {"201": ok_json("The token", "Token"), "401": problem("Not logged in"),
                          "403": problem("CSRF token missing")}},
            "get": {
            "tags": ["accounts"], "summary": "The caller's live tokens and sessions (no secrets)", "security": secured(),
            "responses": {"200": ok_json("The tokens, newest first", "TokenList"), "401": problem("Not logged in")}}},
        "/api/tokens/{id}": {
            "parameters": [id_param("id")],
            "delete": {"tags": ["accounts"], "summary": "Revoke one of the caller's tokens or sessions (admins: anybody's)", "security": secured(),
                       "responses": {"204": {"description": "Revoked"}, "401": problem("Not logged in"),
                                     "403": problem("CSRF token missing"),
                                     "404": problem("Unknown, not yours, or already revoked")}}},
        "/api/applications": {
            "get": {"tags": ["applications"], "summary": "List applications (applicants: their own)", "security": secured(),
                    "parameters": [{"name": "status", "in": "query", "schema": {"$ref": "#/components/schemas/ApplicationStatus"}}],
                    "responses": {"200": ok_json("The applications", "ApplicationList"), "400": problem("Unknown status")}},
            "post": {"tags": ["applications"], "summary": "Create a draft application", "security": secured(),
                     "requestBody": json_body("ApplicationInput"),
                     "responses": {"201": ok_json("The application; ETag and Location", "Application"),
                                   "403": problem("Only applicants create applications"),
                                   "422": problem("A field is invalid (see field)")}}},
        "/api/applications/overdue": {"get": {
            "tags": ["applications"], "summary": "Open applications past the 20-day target", "security": secured(),
            "responses": {"200": ok_json("The overdue applications with days per state", "ApplicationList"),
                          "403": problem("For operators, verifiers, officials")}}},
        "/api/applications/{id}": {
            "parameters": [id_param("id")],
            "get": {"tags": ["applications"], "summary": "One application with trail, check result, attachments, allowed actions", "security": secured(),
                    "responses": {"200": ok_json("The application; ETag", "Application"), "404": problem("Unknown or not yours")}},
            "patch": {"tags": ["applications"], "summary": "Edit a DRAFT or RETURNED application (owner)", "security": secured(),
                      "parameters": [if_match()], "requestBody": json_body("ApplicationInput"),
                      "responses": {"200": ok_json("The application; new ETag", "Application"),
                                    "403": problem("Not the owner"), "409": problem("Not editable in this state"),
                                    "412": problem("Stale If-Match"), "422": problem("A field is invalid"),
                                    "428": problem("If-Match missing")}}},
        "/api/applications/{id}/attachments": {
            "parameters": [id_param("id")],
            "post": {"tags": ["applications"], "summary": "Attach a PDF, JPEG or PNG (at most 20 MB)", "security": secured(),
                     "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                         "file": {"type": "string", "format": "binary"},
                         "kind": {"type": "string", "enum": ["site_plan", "photo", "other", "alas_hak"]}}}}}},
                     "responses": {"201": ok_json("The attachment", "Attachment"), "409": problem("Not in DRAFT or RETURNED"),
                                   "413": problem("Larger than 20 MB"), "415": problem("Not a PDF, JPEG or PNG")}}},
        "/api/applications/{id}/attachments/{aid}": {
            "parameters": [id_param("id"), id_param("aid")],
            "get": {"tags": ["applications"], "summary": "The attached file", "security": secured(),
                    "responses": {"200": {"description": "The file", "content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}},
                                  "404": problem("Unknown or not visible")}}},
        "/api/applications/{id}/actions/{action}": {
            "parameters": [id_param("id"), {"name": "action", "in": "path", "required": true, "schema": {"type": "string", "enum": actions}}],
            "post": {"tags": ["workflow"], "summary": "Take a workflow step", "security": secured(),
                     "parameters": [if_match()],
                     "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ActionInput"}}}},
                     "responses": {"200": ok_json("The application; new ETag", "Application"),
                                   "403": problem("This role may not take the step"),
                                   "409": problem("Not from this state"), "412": problem("Stale If-Match"),
                                   "422": problem("A required field is missing or invalid"), "428": problem("If-Match missing")}}},
        "/api/applications/{id}/transitions": {
            "parameters": [id_param("id")],
            "post": {"tags": ["workflow"], "summary": "Take the workflow step leading to a state", "security": secured(),
                     "parameters": [if_match()],
                     "requestBody": {"required": true, "content": {"application/json": {"schema": {"allOf": [
                         {"$ref": "#/components/schemas/ActionInput"},
                         {"type": "object", "required": ["to"], "properties": {"to": {"$ref": "#/components/schemas/ApplicationStatus"}, "reason": {"type": "string"}}}]}}}},
                     "responses": {"200": ok_json("The application; new ETag", "Application"),
                                   "403": problem("This role may not take the step"), "409": problem("No step to that state"),
                                   "412": problem("Stale If-Match"), "422": problem("Invalid body")}}},
        "/permits/{key}": {
            "parameters": [{"name": "key", "in": "path", "required": true, "description": "Application id or permit number (KKPR%2F2026%2F000001 or KKPR-2026-000001), with .pdf for the PDF", "schema": {"type": "string"}}],
            "get": {"tags": ["permits"], "summary": "The decision document (HTML, or PDF with .pdf)",
                    "responses": {"200": {"description": "The document", "content": {"text/html": {}, "application/pdf": {}}},
                                  "404": problem("No decision, or not visible")}}},
    })
}

/// OpenAPI component schemas used by [`paths`] (`Problem` is the server's own).
pub fn schemas() -> Value {
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let decisions: Vec<&str> = Decision::ALL.iter().map(|d| d.as_str()).collect();
    let user = json!({"type": "object", "properties": {
        "id": {"type": "string", "format": "uuid"}, "email": {"type": "string"},
        "role": {"type": "string", "enum": ["pemohon", "operator", "verifikator", "forum", "pejabat", "planner", "admin"]},
        "display_name": {"type": "string", "nullable": true}}});
    let geometry = json!({"type": "object", "description": "GeoJSON Polygon or MultiPolygon (or a Feature of one), lon/lat (CRS84)"});
    json!({
        "ApplicationStatus": {"type": "string", "enum": statuses},
        "Register": {"type": "object", "required": ["email", "password"], "properties": {
            "email": {"type": "string"}, "password": {"type": "string", "minLength": 10}, "display_name": {"type": "string"}}},
        "Login": {"type": "object", "required": ["email", "password"], "properties": {
            "email": {"type": "string"}, "password": {"type": "string"}}},
        "Session": {"type": "object", "properties": {"user": user, "csrf_token": {"type": "string"}, "expires_in": {"type": "integer"}}},
        "Me": {"type": "object", "properties": {"user": user}},
        "Token": {"type": "object", "properties": {"token": {"type": "string"}, "name": {"type": "string", "nullable": true}, "token_type": {"type": "string"}}},
        "TokenList": {"type": "object", "properties": {"tokens": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string", "format": "uuid"}, "kind": {"type": "string", "enum": ["api", "session"]},
            "name": {"type": "string", "nullable": true}, "created_at": {"type": "string", "format": "date-time"},
            "expires_at": {"type": "string", "format": "date-time", "nullable": true},
            "last_used_at": {"type": "string", "format": "date-time", "nullable": true}}}}}},
        "ApplicationInput": {"type": "object", "properties": {
            "parcel": geometry, "crs": {"type": "string"},
            "applicant_type": {"type": "string", "enum": ["perorangan", "badan_usaha", "instansi"]},
            "applicant_name": {"type": "string"},
            "applicant_nik": {"type": "string", "pattern": "^[0-9]{16}$"},
            "applicant_nib": {"type": "string", "pattern": "^[0-9]{13}$"},
            "business_scale": {"type": "string", "enum": ["UMK", "non-UMK"]},
            "kbli_code": {"type": "string", "pattern": "^[0-9]{5}$"},
            "land_tenure": {"type": "string", "enum": ["SHM", "HGB", "HP", "HGU", "girik", "lainnya"]},
            "declared_land_area_m2": {"type": "number", "minimum": 0, "exclusiveMinimum": true},
            "footprint_m2": {"type": "number", "minimum": 0},
            "total_floor_area_m2": {"type": "number", "minimum": 0},
            "floors": {"type": "integer", "minimum": 0},
            "height_m": {"type": "number", "minimum": 0},
            "green_area_m2": {"type": "number", "minimum": 0},
            "basement_area_m2": {"type": "number", "minimum": 0}}},
        "ActionInput": {"type": "object", "properties": {
            "note": {"type": "string"},
            "decision": {"type": "string", "enum": decisions},
            "decision_reason": {"type": "string"},
            "conditions": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "approved_parcel": geometry,
            "valid_years": {"type": "integer", "minimum": 1, "maximum": 10}}},
        "Attachment": {"type": "object", "properties": {
            "id": {"type": "string", "format": "uuid"}, "filename": {"type": "string"},
            "content_type": {"type": "string"}, "size_bytes": {"type": "integer"},
            "kind": {"type": "string"}, "url": {"type": "string"}}},
        "Event": {"type": "object", "properties": {
            "at": {"type": "string", "format": "date-time"}, "actor_email": {"type": "string"},
            "actor_role": {"type": "string"}, "from_status": {"type": "string", "nullable": true},
            "to_status": {"type": "string"}, "note": {"type": "string", "nullable": true},
            "data": {"type": "object"}}},
        "AllowedAction": {"type": "object", "properties": {
            "action": {"type": "string"}, "label_id": {"type": "string"}, "label_en": {"type": "string"},
            "to_status": {"type": "string"}, "fields": {"type": "array", "items": {"type": "string"}},
            "required": {"type": "array", "items": {"type": "string"}}, "url": {"type": "string"}}},
        "Application": {"type": "object", "description": "Every field of ApplicationInput, and:", "properties": {
            "id": {"type": "string", "format": "uuid"}, "reference": {"type": "string"},
            "status": {"$ref": "#/components/schemas/ApplicationStatus"},
            "parcel": geometry, "approved_parcel": {"type": "object", "nullable": true},
            "decision": {"type": "string", "enum": decisions, "nullable": true},
            "permit_number": {"type": "string", "nullable": true},
            "check_result": {"type": "object", "nullable": true, "description": "As POST /api/check answers"},
            "check_plan_version": {"type": "integer", "nullable": true},
            "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
            "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/Attachment"}},
            "allowed_actions": {"type": "array", "items": {"$ref": "#/components/schemas/AllowedAction"}},
            "version": {"type": "integer"},
            "days_in_state": {"type": "number"}, "sla_days_left": {"type": "number"}, "overdue": {"type": "boolean"}}},
        "ApplicationList": {"type": "object", "properties": {
            "applications": {"type": "array", "items": {"$ref": "#/components/schemas/Application"}}}},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_described_and_every_reference_resolves() {
        let p = paths();
        let obj = p.as_object().unwrap();
        assert_eq!(obj.len(), PATHS.len());
        for path in PATHS {
            assert!(obj.contains_key(*path), "{path}");
        }
        let text = p.to_string() + &schemas().to_string();
        let s = schemas();
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part.chars().take_while(|c| c.is_alphanumeric()).collect();
            assert!(name == "Problem" || s.get(&name).is_some(), "{name}");
        }
    }
}

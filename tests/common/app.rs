//! The application under test and requests to it: [`TestApp`] (router, state, pool; served
//! over TCP on demand), a request builder ([`TestApp::request`]: token, If-Match, JSON body,
//! client address),
//! the [`Answer`] and the problem+json assertion ([`assert_problem`]).

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use ruang::config::Config;
use serde_json::Value;
use sqlx::PgPool;
use tower::ServiceExt;

/// The whole application on one test database.
pub struct TestApp {
    pub app: axum::Router,
    pub state: ruang::AppState,
    pub pool: PgPool,
}

impl TestApp {
    /// The application on the database at `url`, with `config`.
    pub async fn with_config(url: &str, config: Config) -> TestApp {
        let pool = ruang::db::connect(url, 8, Duration::from_secs(10))
            .await
            .unwrap();
        Self::with_pool(pool, config).await
    }

    /// The application on `pool`, with `config`.
    pub async fn with_pool(pool: PgPool, config: Config) -> TestApp {
        let state = ruang::AppState::new(pool.clone(), config)
            .await
            .expect("app state");
        TestApp {
            app: ruang::app(state.clone()),
            state,
            pool,
        }
    }

    /// The application on the database at `url`, default configuration.
    pub async fn on(url: &str) -> TestApp {
        Self::with_config(url, Config::default()).await
    }

    /// Serves the application on a free 127.0.0.1 port; returns its base URL and the task.
    pub async fn serve(&self) -> (String, tokio::task::JoinHandle<()>) {
        super::serve_tcp(self.state.clone()).await
    }

    /// A request to build and send.
    pub fn request(&self, method: &str, uri: &str) -> Call<'_> {
        call(&self.app, method, uri)
    }

    /// `GET uri`, no credentials.
    pub async fn get(&self, uri: &str) -> Answer {
        self.request("GET", uri).send().await
    }

    pub async fn send(&self, req: Request<Body>) -> Answer {
        send(&self.app, req).await
    }
}

/// A request being built: method and address, then any of bearer token, If-Match, headers and
/// a body.
pub struct Call<'a> {
    app: &'a axum::Router,
    req: axum::http::request::Builder,
    body: Body,
}

/// A request to `app`.
pub fn call<'a>(app: &'a axum::Router, method: &str, uri: &str) -> Call<'a> {
    Call {
        app,
        req: Request::builder().method(method).uri(uri),
        body: Body::empty(),
    }
}

impl Call<'_> {
    /// `Authorization: Bearer <token>`.
    pub fn token(self, token: &str) -> Self {
        self.header(header::AUTHORIZATION.as_str(), format!("Bearer {token}"))
    }

    /// `If-Match`.
    pub fn if_match(self, etag: &str) -> Self {
        self.header(header::IF_MATCH.as_str(), etag)
    }

    pub fn header(mut self, name: &str, value: impl AsRef<str>) -> Self {
        self.req = self.req.header(name, value.as_ref());
        self
    }

    /// As if sent from `ip` (the socket peer the rate limits and login throttle see).
    pub fn client_ip(mut self, ip: [u8; 4]) -> Self {
        self.req = self
            .req
            .extension(ConnectInfo(SocketAddr::from((ip, 40000))));
        self
    }

    /// A JSON body (`Content-Type: application/json`).
    pub fn json(self, body: &Value) -> Self {
        self.body("application/json", body.to_string())
    }

    /// A body of `content_type`.
    pub fn body(mut self, content_type: &str, body: impl Into<Body>) -> Self {
        self.req = self.req.header(header::CONTENT_TYPE, content_type);
        self.body = body.into();
        self
    }

    /// A body without a content type of its own.
    pub fn raw_body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    pub async fn send(self) -> Answer {
        send(self.app, self.req.body(self.body).unwrap()).await
    }
}

/// A whole answer.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON; panics with the status and body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{}: {e}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Each Set-Cookie, whole (`name=value` and its attributes).
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }

    /// The value and the attributes of the cookie `name` this answer sets.
    pub fn cookie(&self, name: &str) -> Option<(String, String)> {
        self.cookies().into_iter().find_map(|c| {
            let (nv, attrs) = c.split_once(';').unwrap_or((&c, ""));
            let (n, v) = nv.split_once('=')?;
            (n == name).then(|| (v.to_string(), attrs.to_string()))
        })
    }

    pub fn etag(&self) -> String {
        self.headers[header::ETAG].to_str().unwrap().to_string()
    }

    /// Asserts a problem+json answer of `status` in both languages; returns it.
    pub fn problem(&self, status: StatusCode) -> Value {
        let v = self.json();
        assert_eq!(self.status, status, "{v}");
        assert_problem(&self.headers, &v, status);
        v
    }

    /// [`Answer::problem`] with the `code` member `code`.
    pub fn problem_code(&self, status: StatusCode, code: &str) -> Value {
        let v = self.problem(status);
        assert_eq!(v["code"], code, "{v}");
        v
    }
}

/// Sends `req` to `app` and reads the whole answer.
pub async fn send(app: &axum::Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// Asserts that `v` (with `headers`) is a problem+json answer of `status`: the content type,
/// the `status` member, a non-empty `detail` (Bahasa Indonesia) and `detail_en`.
pub fn assert_problem(headers: &HeaderMap, v: &Value, status: StatusCode) {
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/problem+json",
        "{v}"
    );
    assert_eq!(v["status"], status.as_u16(), "{v}");
    assert!(v["detail"].as_str().is_some_and(|s| !s.is_empty()), "{v}");
    assert!(
        v["detail_en"].as_str().is_some_and(|s| !s.is_empty()),
        "{v}"
    );
}

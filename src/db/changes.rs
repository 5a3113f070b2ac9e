//! Change notifications from the database: one LISTEN connection for the whole process, fanned
//! out to every in-memory cache (tiles, the zoning rule set).
//!
//! Contract:
//! - Triggers (migrations 0002 and 0003) send `NOTIFY ruang_changes` after every statement that
//!   changes a table whose data is cached, with `{"table": "zones", "bbox": [w, s, e, n]}` (lon/
//!   lat of the rows touched, old and new) or `{"table": "zone_rules"}` meaning "all of it".
//!   Notifications arrive after the transaction commits.
//! - A subscriber receives [`Change::Table`] for each notification, and [`Change::Resync`]
//!   whenever changes may have been missed: when the listener (re)connects, when a payload
//!   cannot be read, or when the subscriber fell behind. On `Resync` a cache drops everything.
//! - Subscribe before [`Changes::start`], so the first `Resync` (listener up) is not missed.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::broadcast;

pub const CHANNEL: &str = "ruang_changes";

/// One change event.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Rows of `table` changed; within `bbox` (lon/lat) when given, anywhere otherwise.
    Table {
        table: String,
        bbox: Option<[f64; 4]>,
    },
    /// Changes may have been missed: forget everything cached.
    Resync,
}

impl Change {
    /// Reads a notification payload; anything unreadable becomes `Resync`.
    pub fn parse(payload: &str) -> Change {
        #[derive(serde::Deserialize)]
        struct Payload {
            table: String,
            bbox: Option<[f64; 4]>,
        }
        match serde_json::from_str::<Payload>(payload) {
            Ok(p) => Change::Table {
                table: p.table,
                bbox: p.bbox,
            },
            Err(_) => {
                tracing::warn!(payload, "unreadable change notification; resyncing caches");
                Change::Resync
            }
        }
    }
}

/// The process's change feed.
#[derive(Clone)]
pub struct Changes {
    tx: broadcast::Sender<Arc<Change>>,
}

/// A subscriber's end of the feed.
pub struct Subscription(broadcast::Receiver<Arc<Change>>);

impl Subscription {
    /// The next change; `None` once the feed has ended (the process is shutting down).
    pub async fn recv(&mut self) -> Option<Arc<Change>> {
        match self.0.recv().await {
            Ok(c) => Some(c),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(Arc::new(Change::Resync)),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

impl Default for Changes {
    fn default() -> Self {
        Self::new()
    }
}

impl Changes {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(4096);
        Changes { tx }
    }

    pub fn subscribe(&self) -> Subscription {
        Subscription(self.tx.subscribe())
    }

    /// Starts listening on a connection of `pool` until the pool is closed, reconnecting after
    /// a failure.
    pub fn start(&self, pool: PgPool) {
        self.start_with_fence(pool, None)
    }

    /// [`Changes::start`], and with read replicas: before each change (and each `Resync`) is
    /// passed on, the primary's WAL position is read on the listening connection and raised
    /// into `fence`, so that no cache re-reads the change from a replica that has not replayed
    /// it (see `db::reads`). When that position cannot be read the listener reconnects, which
    /// makes every cache resync.
    pub fn start_with_fence(&self, pool: PgPool, fence: Option<super::reads::Fence>) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            loop {
                if pool.is_closed() {
                    return;
                }
                let listener = async {
                    let mut l = sqlx::postgres::PgListener::connect_with(&pool).await?;
                    l.listen(CHANNEL).await?;
                    Ok::<_, sqlx::Error>(l)
                }
                .await;
                match listener {
                    Ok(mut l) => {
                        // Whatever happened before we listened is unknown.
                        if let Some(f) = &fence
                            && let Err(e) = raise_fence(&mut l, f).await
                        {
                            tracing::warn!(error = %e, "cannot read the primary's WAL position");
                            let _ = tx.send(Arc::new(Change::Resync));
                            tokio::time::sleep(Duration::from_secs(2)).await;
                            continue;
                        }
                        let _ = tx.send(Arc::new(Change::Resync));
                        loop {
                            match l.try_recv().await {
                                Ok(Some(n)) => {
                                    if let Some(f) = &fence
                                        && let Err(e) = raise_fence(&mut l, f).await
                                    {
                                        tracing::warn!(error = %e,
                                            "cannot read the primary's WAL position; resyncing");
                                        break;
                                    }
                                    let _ = tx.send(Arc::new(Change::parse(n.payload())));
                                }
                                // sqlx reconnected by itself: changes may be lost
                                Ok(None) => {
                                    let _ = tx.send(Arc::new(Change::Resync));
                                }
                                Err(_) if pool.is_closed() => return,
                                Err(e) => {
                                    tracing::warn!(error = %e, "change listener failed");
                                    break;
                                }
                            }
                        }
                    }
                    Err(_) if pool.is_closed() => return,
                    Err(e) => tracing::warn!(error = %e, "cannot listen for database changes"),
                }
                let _ = tx.send(Arc::new(Change::Resync));
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        });
    }
}

/// Reads the primary's WAL position on the listening connection and raises `fence` to it.
async fn raise_fence(
    l: &mut sqlx::postgres::PgListener,
    fence: &super::reads::Fence,
) -> Result<(), sqlx::Error> {
    let lsn: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
        .fetch_one(&mut *l)
        .await?;
    match super::reads::parse_lsn(&lsn) {
        Some(n) => {
            fence.raise(n);
            Ok(())
        }
        None => Err(sqlx::Error::Protocol(format!(
            "unreadable WAL position {lsn:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_read_or_mean_resync() {
        assert_eq!(
            Change::parse(r#"{"table":"zones","bbox":[1,2,3,4]}"#),
            Change::Table {
                table: "zones".into(),
                bbox: Some([1.0, 2.0, 3.0, 4.0])
            }
        );
        assert_eq!(
            Change::parse(r#"{"table":"zone_rules"}"#),
            Change::Table {
                table: "zone_rules".into(),
                bbox: None
            }
        );
        assert_eq!(Change::parse("nonsense"), Change::Resync);
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_to_resync() {
        let changes = Changes::new();
        let mut sub = changes.subscribe();
        for _ in 0..5000 {
            let _ = changes.tx.send(Arc::new(Change::Table {
                table: "zones".into(),
                bbox: None,
            }));
        }
        assert_eq!(*sub.recv().await.unwrap(), Change::Resync);
    }
}

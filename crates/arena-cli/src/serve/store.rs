//! The vote store behind `arena serve`: SQLite (one file, WAL) or PostgreSQL, by URL.
//!
//! One table, `votes (seq, id, body)`: `seq` is the server-assigned cursor, `id` the vote id
//! (unique; a resend is a duplicate, never a rewrite), `body` the record as Arena JSON.
//! Only parameterised SQL.
//!
//! **Architecture Invariant:** a pull that has seen `seq = n` has seen every vote with a lower
//! `seq` that will ever exist. SQLite has one writer at a time, so it holds by construction.
//! On PostgreSQL two transactions could take sequence values 5 and 6 and commit 6 first; a pull
//! in between would return 6 and move its cursor past 5 forever. Every insert transaction
//! therefore takes one transaction-scoped advisory lock before it draws sequence values, so
//! transactions draw and commit in the same order, across any number of server instances.

use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};
use sqlx::{QueryBuilder, Row};

/// The advisory lock key that serialises PostgreSQL insert transactions ("arena" in ASCII).
const INSERT_LOCK: i64 = 0x61_72_65_6e_61;
/// The advisory lock key held while migrations run, so instances starting together agree.
const MIGRATE_LOCK: i64 = 0x61_72_65_6e_62;

/// Schema migrations, applied in order and recorded in `arena_migrations`.
const SQLITE_MIGRATIONS: &[&str] = &["CREATE TABLE votes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        body TEXT NOT NULL
    )"];
const PG_MIGRATIONS: &[&str] = &["CREATE TABLE votes (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        body TEXT NOT NULL
    )"];

/// A vote ready to store: its id and its canonical JSON.
#[derive(Debug, Clone)]
pub struct NewVote {
    pub id: String,
    pub body: String,
}

/// What one insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inserted {
    pub accepted: u64,
    pub duplicate: u64,
}

#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Store {
    /// Opens (creating if needed) and migrates the database named by `url`:
    /// `sqlite:PATH` or `postgres://…` / `postgresql://…`.
    pub async fn open(url: &str) -> Result<Store> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .context("bad sqlite URL")?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // An acknowledged vote is on disk: FULL syncs the WAL at every commit.
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(30));
            // Each connection to an in-memory database is a database of its own: one only.
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(if in_memory { 1 } else { 8 })
                .connect_with(opts)
                .await
                .context("cannot open the SQLite database")?;
            let store = Store::Sqlite(pool);
            store.migrate().await?;
            Ok(store)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await
                // The URL may carry a password: it is not repeated in the message.
                .context("cannot connect to PostgreSQL")?;
            let store = Store::Postgres(pool);
            store.migrate().await?;
            Ok(store)
        } else {
            bail!("--db must be sqlite:PATH or postgres://…")
        }
    }

    async fn migrate(&self) -> Result<()> {
        match self {
            Store::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query(
                    "CREATE TABLE IF NOT EXISTS arena_migrations (version INTEGER PRIMARY KEY)",
                )
                .execute(&mut *tx)
                .await?;
                let done: i64 =
                    sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM arena_migrations")
                        .fetch_one(&mut *tx)
                        .await?;
                for (i, sql) in SQLITE_MIGRATIONS.iter().enumerate() {
                    let version = i64::try_from(i + 1)?;
                    if version > done {
                        sqlx::query(sql).execute(&mut *tx).await?;
                        sqlx::query("INSERT INTO arena_migrations (version) VALUES (?)")
                            .bind(version)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
            }
            Store::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(MIGRATE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "CREATE TABLE IF NOT EXISTS arena_migrations (version BIGINT PRIMARY KEY)",
                )
                .execute(&mut *tx)
                .await?;
                let done: i64 =
                    sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM arena_migrations")
                        .fetch_one(&mut *tx)
                        .await?;
                for (i, sql) in PG_MIGRATIONS.iter().enumerate() {
                    let version = i64::try_from(i + 1)?;
                    if version > done {
                        sqlx::query(sql).execute(&mut *tx).await?;
                        sqlx::query("INSERT INTO arena_migrations (version) VALUES ($1)")
                            .bind(version)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Stores the votes whose ids are new, in one transaction; the rest are duplicates.
    pub async fn insert(&self, votes: &[NewVote]) -> Result<Inserted> {
        // Repeats inside one batch count as duplicates too.
        let mut seen = HashSet::new();
        let unique: Vec<&NewVote> = votes.iter().filter(|v| seen.insert(&v.id)).collect();
        let in_batch_dups = (votes.len() - unique.len()) as u64;
        if unique.is_empty() {
            return Ok(Inserted {
                accepted: 0,
                duplicate: in_batch_dups,
            });
        }
        let accepted = match self {
            Store::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                let mut q = QueryBuilder::new("INSERT INTO votes (id, body) ");
                q.push_values(&unique, |mut b, v| {
                    b.push_bind(&v.id).push_bind(&v.body);
                });
                q.push(" ON CONFLICT (id) DO NOTHING");
                let n = q.build().execute(&mut *tx).await?.rows_affected();
                tx.commit().await?;
                n
            }
            Store::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(INSERT_LOCK)
                    .execute(&mut *tx)
                    .await?;
                let mut q = QueryBuilder::new("INSERT INTO votes (id, body) ");
                q.push_values(&unique, |mut b, v| {
                    b.push_bind(&v.id).push_bind(&v.body);
                });
                q.push(" ON CONFLICT (id) DO NOTHING");
                let n = q.build().execute(&mut *tx).await?.rows_affected();
                tx.commit().await?;
                n
            }
        };
        Ok(Inserted {
            accepted,
            duplicate: votes.len() as u64 - accepted,
        })
    }

    /// Up to `limit` votes after cursor `after`, in cursor order: `(seq, body)`.
    pub async fn page(&self, after: i64, limit: i64) -> Result<Vec<(i64, String)>> {
        let rows = match self {
            Store::Sqlite(pool) => {
                sqlx::query("SELECT seq, body FROM votes WHERE seq > ? ORDER BY seq LIMIT ?")
                    .bind(after)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
                    .into_iter()
                    .map(|r| (r.get::<i64, _>(0), r.get::<String, _>(1)))
                    .collect()
            }
            Store::Postgres(pool) => {
                sqlx::query("SELECT seq, body FROM votes WHERE seq > $1 ORDER BY seq LIMIT $2")
                    .bind(after)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
                    .into_iter()
                    .map(|r| (r.get::<i64, _>(0), r.get::<String, _>(1)))
                    .collect()
            }
        };
        Ok(rows)
    }

    /// The highest cursor stored (0 when empty).
    pub async fn last_seq(&self) -> Result<i64> {
        let sql = "SELECT COALESCE(MAX(seq), 0) FROM votes";
        Ok(match self {
            Store::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
            Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
        })
    }

    pub async fn close(&self) {
        match self {
            Store::Sqlite(pool) => pool.close().await,
            Store::Postgres(pool) => pool.close().await,
        }
    }
}

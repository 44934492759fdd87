//! Store errors: database, migration and crypto failures plus domain refusals.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Datenbankfehler / database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("Migration fehlgeschlagen / migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("Entschlüsselung fehlgeschlagen / decryption failed: {0}")]
    Crypto(#[from] rathaus_crypto::CryptoError),
    #[error(
        "der Hauptschlüssel passt nicht zu dieser Datenbank / the master key does not open this database \
         (given key id {given}, the database needs key id {needed}; after `rathaus keys rotate` the old key \
         is refused — use the current key file, or see README \"Rotating the master key\")"
    )]
    WrongMasterKey { given: String, needed: String },
    #[error("nicht gefunden / not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
}

impl StoreError {
    /// Whether the database rejected a row because the same unique key already exists.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Db(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}

//! The daemon's error type: every error a client can see maps to exactly one
//! protocol error code.

use roost_shared::ErrorCode;

/// What went wrong with one request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request was wrong; the message says how.
    #[error("{0}")]
    BadRequest(String),
    #[error("the caller has no account yet: send {{\"op\":\"register\"}} first")]
    NotRegistered,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    RateLimited(String),
    /// Too many acts of one kind lately: `retry_after` whole seconds (1 to 60).
    #[error("{what}: try again in {retry_after} s")]
    TooFast { what: String, retry_after: u64 },
    /// Redis answered with an error or could not be reached.
    #[error("storage: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis cannot do what is asked now (too few replicas answered).
    #[error("{0}")]
    Unavailable(String),
    /// Redis answered something the daemon did not expect.
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The protocol's code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::BadRequest(_) => ErrorCode::BadRequest,
            Error::NotRegistered => ErrorCode::NotRegistered,
            Error::Forbidden(_) => ErrorCode::Forbidden,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::Conflict(_) => ErrorCode::Conflict,
            Error::RateLimited(_) | Error::TooFast { .. } => ErrorCode::RateLimited,
            Error::Redis(e) if is_unreachable(e) => ErrorCode::Unavailable,
            Error::Unavailable(_) => ErrorCode::Unavailable,
            Error::Redis(_) | Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Seconds after which the same request may succeed, where the error says.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::TooFast { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    pub fn unknown_user(login: &str) -> Self {
        Error::NotFound(format!("no user with login {login:?}"))
    }
}

/// True when Redis could not be reached or did not answer in time, as opposed to
/// answering with an error.
pub fn is_unreachable(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_connection_refusal() || e.is_timeout() || e.is_connection_dropped()
}

//! The typed faults of a transfer, each with what the user should do about it.

use std::path::PathBuf;

use crate::text::printable_path;

/// A fault at the I/O edge. Callers tell transient faults from final ones with
/// [`FetchError::is_transient`].
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP {status} from {url}")]
    Status { url: String, status: u16 },
    #[error("network error on {url}: {message}")]
    Network { url: String, message: String },
    /// The server took the connection (or never took it) and its response head (status line and
    /// headers) had not arrived in full within --timeout.
    #[error("no response from {url} within --timeout (the connection and the whole response head must come within it): {message}")]
    Silent { url: String, message: String },
    /// A redirect the tool will not follow (see `redirect_policy`).
    #[error("{url}: {message}")]
    Redirect { url: String, message: String },
    #[error("sha256 mismatch for {source_name}: expected {expected}, got {actual}")]
    HashMismatch { source_name: String, expected: String, actual: String },
    #[error("size mismatch for {source_name}: expected {expected} bytes, got {actual}")]
    SizeMismatch { source_name: String, expected: u64, actual: u64 },
    #[error("{source_name} sent an HTML page instead of the file")]
    Html { source_name: String },
    #[error("{} does not exist", printable_path(path))]
    Missing { path: PathBuf },
    /// Reading a local source (a file:// URL or a mirror directory) failed.
    #[error("cannot read {}: {message}", printable_path(path))]
    Local { path: PathBuf, message: String },
    /// Writing into the cache failed.
    #[error("{}: {message}", printable_path(path))]
    Io { path: PathBuf, message: String },
}

impl FetchError {
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Network { .. } | FetchError::Silent { .. } => true,
            FetchError::Status { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            _ => false,
        }
    }

    /// What the user should do about it; `partial_kept` says whether a partial download is
    /// there for the next run to resume.
    pub fn hint(&self, partial_kept: bool) -> &'static str {
        match self {
            FetchError::Status { status: 404, .. } | FetchError::Missing { .. } => {
                "check the url in the manifest, or the mirror's layout (docs/mirror.md)"
            }
            FetchError::Status { .. } if !self.is_transient() => {
                "the server refused the request; check the url in the manifest or the mirror"
            }
            FetchError::Silent { .. } => {
                "the server does not answer in time: check that it runs and the URL (or --mirror) names it; --timeout sets how long to wait"
            }
            FetchError::Status { .. } | FetchError::Network { .. } if partial_kept => {
                "check the network, proxy (HTTPS_PROXY) and CA (SSL_CERT_FILE), then run again; the partial download is kept"
            }
            FetchError::Status { .. } | FetchError::Network { .. } => {
                "check the network, proxy (HTTPS_PROXY) and CA (SSL_CERT_FILE), then run again"
            }
            FetchError::Local { .. } => "check that the path names a readable file (not a directory)",
            FetchError::Redirect { .. } => {
                "the server sent the download elsewhere; point the manifest or --mirror at the final https URL"
            }
            FetchError::HashMismatch { .. } | FetchError::SizeMismatch { .. } => {
                "the file differs from the pin; check the mirror's copy or the pin in the manifest (nothing was cached)"
            }
            FetchError::Html { .. } => "the URL serves a web page, not the release file; fix the url or the mirror",
            FetchError::Io { .. } => {
                "check free disk space and permissions of the cache directory, or point --cache-dir (BOOTSTRAP_CACHE_DIR) at another"
            }
        }
    }
}

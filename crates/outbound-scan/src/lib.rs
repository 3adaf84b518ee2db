//! outbound-scan

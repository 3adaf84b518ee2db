//! outbound-rules

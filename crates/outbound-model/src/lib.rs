//! outbound-model

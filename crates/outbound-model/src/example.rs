//! The bundled example map (`examples/lumen`, Lumen Group), embedded so that
//! the demo and the tests read the same texts from any directory.

/// The example's files as (path from the repository root, content), in load order.
pub const LUMEN: &[(&str, &str)] = &[
    (
        "examples/lumen/00-company.yaml",
        include_str!("../../../examples/lumen/00-company.yaml"),
    ),
    (
        "examples/lumen/10-systems.yaml",
        include_str!("../../../examples/lumen/10-systems.yaml"),
    ),
    (
        "examples/lumen/20-recipients.yaml",
        include_str!("../../../examples/lumen/20-recipients.yaml"),
    ),
    (
        "examples/lumen/30-transfers-cn.yaml",
        include_str!("../../../examples/lumen/30-transfers-cn.yaml"),
    ),
    (
        "examples/lumen/40-transfers-eu.yaml",
        include_str!("../../../examples/lumen/40-transfers-eu.yaml"),
    ),
];

/// The example as [`load_sources`](crate::load_sources) takes it.
pub fn lumen_sources() -> Vec<(String, String)> {
    LUMEN
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect()
}

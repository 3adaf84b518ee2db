//! The rules crate's integration tests, in one binary: from a map to facts
//! (`assess`), and each regime case by case against its articles.

mod common;

mod assess;
mod cn_before_2024;
mod cn_provisions_2024;
mod conflicts;
mod counts;
mod eu;
mod ftz_grade;
mod incident;
mod recipient;
mod rights;
mod risk;
mod ru;
mod seam;
mod text;
mod us;

//! Prints a synthetic data map with N transfers (default 10,000) as YAML, for
//! load tests: `cargo run -p outbound-model --example generated-map -- 10000 > map.yaml`.

fn main() -> std::process::ExitCode {
    let n = match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
        None => 10_000,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: generated-map [N]  (N transfers, a positive integer)");
            return std::process::ExitCode::from(2);
        }
    };
    print!("{}", outbound_model::example::generated_map(n));
    std::process::ExitCode::SUCCESS
}

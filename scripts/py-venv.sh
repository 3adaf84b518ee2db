# Sourced by the accuracy scripts: target/py-venv, made if missing, with one
# PyPI package pinned in it, and the run both scripts make.
#
#   . scripts/py-venv.sh; py_venv_pin Faker 40.63.0; "$VENV/bin/python" …
#   . scripts/py-venv.sh; labelled_accuracy Faker 40.63.0 scripts/faker_labelled.py target/faker 2000 42
VENV=target/py-venv

py_venv_pin() {
    local dist="$1" version="$2"
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV"
    fi
    if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('$dist') != '$version')" 2>/dev/null; then
        "$VENV/bin/pip" install -q "$dist==$version"
    fi
}

# labelled_accuracy DIST VERSION GENERATOR OUTDIR N SEED: pins DIST, has
# GENERATOR write N labelled values per shape (seed SEED) to OUTDIR/labelled.tsv,
# and scores the scanner on them (examples/accuracy_faker.rs, Markdown tables).
labelled_accuracy() {
    local dist="$1" version="$2" generator="$3" out="$4" n="$5" seed="$6"
    py_venv_pin "$dist" "$version"
    mkdir -p "$out"
    "$VENV/bin/python" "$generator" "$n" "$seed" "$out/labelled.tsv"
    cargo run -q --release -p outbound-scan --example accuracy_faker -- "$out/labelled.tsv"
}

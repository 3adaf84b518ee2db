# Sourced by the accuracy scripts: target/py-venv, made if missing, with one
# PyPI package pinned in it.
#
#   . scripts/py-venv.sh; py_venv_pin Faker 40.63.0; "$VENV/bin/python" …
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

# Shared by scripts/run and scripts/test: a project venv in .venv with the project installed.
# Re-installs only when pyproject.toml changed since the last install. The first install takes about
# 35 s; it says so and shows each package as pip collects it (the full pip log is in .venv/install.log).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    echo "setting up $VENV (first run only, about 35 s) ..." >&2
    "$PY" -m venv "$VENV"
fi
stamp="$VENV/.installed-$(sha1sum "$ROOT/pyproject.toml" | cut -c1-12)"
if [ ! -f "$stamp" ]; then
    echo "installing the project and its dependencies into $VENV ..." >&2
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >/dev/null
    "$VENV/bin/python" -m pip install --progress-bar off -e "$ROOT[test]" 2>&1 \
        | tee "$VENV/install.log" \
        | { grep --line-buffered -E '^(Collecting|Successfully installed|ERROR)' || true; } \
        | sed -u -e 's/^Collecting /  + /' -e 's/^Successfully installed .*/  done./' >&2
    rm -f "$VENV"/.installed-*
    touch "$stamp"
    echo "ready." >&2
fi

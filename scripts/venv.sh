# Sourced by scripts/test and scripts/demo: make a virtual environment from a lock file, the same on every machine.
# uv (pinned below) is installed from the package index into .tools/ the first time; it then installs the exact
# versions the lock names (requirements/*.txt, with hashes) and wowcard itself (editable). A warm uv cache makes
# this a matter of seconds. Refresh the locks with scripts/lock.

UV_VERSION=0.13.9
export UV_PYTHON_DOWNLOADS=never  # use the machine's Python; never download one

python=${PYTHON:-python3}

# wowcard_uv: .tools/bin/uv is the pinned uv, on a Python new enough for wowcard.
wowcard_uv() {
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "wowcard needs Python 3.11 or newer (found: $("$python" --version 2>&1)); set PYTHON=python3.11" >&2
    exit 2
  fi
  if [ "$(.tools/bin/uv --version 2>/dev/null | cut -d" " -f2)" != "$UV_VERSION" ]; then
    local log
    if ! log=$("$python" -m venv --clear .tools 2>&1 &&
               .tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" 2>&1); then
      echo "$log" >&2
      echo "could not install uv $UV_VERSION into .tools/ (is the package index reachable?)" >&2
      exit 1
    fi
  fi
}

# wowcard_venv LOCK VENV: VENV holds exactly what LOCK names, plus wowcard (editable).
wowcard_venv() {
  local lock=$1 venv=$2
  wowcard_uv
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c '' 2>/dev/null; then
    .tools/bin/uv venv --quiet --clear --python "$python" "$venv"
  fi
  .tools/bin/uv pip sync --quiet --python "$venv/bin/python" "$lock"
  .tools/bin/uv pip install --quiet --python "$venv/bin/python" --no-deps -e .
}

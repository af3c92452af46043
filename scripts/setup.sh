#!/usr/bin/env bash
# Installs everything triage needs to build and test, idempotently: Debian packages,
# a project-local .venv with the torch==2.11.0 wheel (libtorch for CMake) and the Python
# test oracles, then configures and builds Release with ccache.
#   scripts/setup.sh            full setup + build
#   scripts/setup.sh --no-build install only
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=1
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$a' (expected --no-build)" >&2; exit 2 ;;
  esac
done
t0=$(date +%s)
log() { printf '[setup %3ds] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }

# --- Debian packages -----------------------------------------------------------------
apt_pkgs=(cmake ninja-build ccache g++ clang libclang-rt-14-dev pkg-config
  libyaml-cpp-dev libsentencepiece-dev prometheus-cpp-dev nlohmann-json3-dev libcli11-dev
  libspdlog-dev libboost-dev libonig-dev libgtest-dev libgmock-dev libbenchmark-dev
  libgloo-dev libpng-dev libcurl4-openssl-dev libxml2-dev curl)  # libboost-dev: Beast/Asio, triage-serve's HTTP layer; libonig-dev: tokenizer.json regexes; libpng-dev: triage-eval --plot's reliability diagrams; libcurl4-openssl-dev: triage-train's MLflow tracking; libxml2-dev: Label Studio labeling configs (triage-data validate --schema); curl: the quickstart routes through it; gloo headers for c10d::ProcessGroupGloo (the torch wheel ships none)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present"
fi

# --- Python virtual environment --------------------------------------------------------
py=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $($py --version)"
  "$py" -m venv .venv
fi
stamp=.venv/.triage-requirements
if [ ! -f "$stamp" ] || ! cmp -s requirements-dev.txt "$stamp"; then
  log "installing Python packages from requirements-dev.txt (torch wheel is ~0.5 GB plus CUDA runtime wheels)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements-dev.txt
  cp requirements-dev.txt "$stamp"
else
  log "Python packages present"
fi
.venv/bin/python -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'
# Label Studio (a server started by tests/data/labelstudio_server_e2e.py) in its own venv: its
# setuptools pin contradicts torch's (requirements-labelstudio.txt)
if [ ! -x .venv-labelstudio/bin/python ]; then
  log "creating .venv-labelstudio"
  "$py" -m venv .venv-labelstudio
fi
stamp=.venv-labelstudio/.triage-requirements
if [ ! -f "$stamp" ] || ! cmp -s requirements-labelstudio.txt "$stamp"; then
  log "installing Label Studio into .venv-labelstudio"
  .venv-labelstudio/bin/python -m pip install -q --upgrade pip
  .venv-labelstudio/bin/python -m pip install -q -r requirements-labelstudio.txt
  cp requirements-labelstudio.txt "$stamp"
else
  log "Label Studio present"
fi

# --- configure + build -----------------------------------------------------------------
if ((build)); then
  log "configuring and building Release"
  "$root/scripts/build.sh"
fi
log "done in $(( $(date +%s) - t0 )) s"

#!/usr/bin/env bash
# Install what tensormem's build and tests need on Debian 12: packages (with chromium
# for the browser check), the Google Benchmark source for the wasm build (build/deps/)
# and the npm tools of the JS checks (build/js-tools/). Idempotent and quick when all is there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

export DEBIAN_FRONTEND=noninteractive
SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup-debian.sh: need root or sudo" >&2; exit 1; }
  SUDO=(sudo --preserve-env=DEBIAN_FRONTEND)
fi

apt_updated=0
apt_update() {
  ((apt_updated)) && return 0
  tm_log "apt-get update"
  "${SUDO[@]}" apt-get update -q
  apt_updated=1
}

# 1. Packages. nodejs only when there is no node at all (keep a newer node from elsewhere).
packages=(cmake g++ make libgtest-dev libbenchmark-dev libfmt-dev emscripten chromium clang libclang-rt-14-dev)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  [[ "$(dpkg-query -W -f='${Status}' "${p}" 2>/dev/null || true)" == "install ok installed" ]] \
    || missing+=("${p}")
done
if ((${#missing[@]})); then
  apt_update
  tm_log "apt-get install ${missing[*]}"
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# 2. Benchmark source for the wasm build (Debian's source package, no network besides apt).
if [[ -z "$(tm_benchmark_source_dir)" ]]; then
  need_update=0
  if ! grep -qs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources \
     && ! grep -qs '^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/*.list; then
    tm_log "adding deb-src entry /etc/apt/sources.list.d/tensormem-src.sources"
    printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm' \
      'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
      | "${SUDO[@]}" tee /etc/apt/sources.list.d/tensormem-src.sources >/dev/null
    need_update=1
  fi
  # Source indexes exist only after an update that saw a deb-src entry.
  compgen -G '/var/lib/apt/lists/*_Sources*' >/dev/null || need_update=1
  if ((need_update)); then apt_updated=0; apt_update; fi
  mkdir -p "${TM_DEPS}"
  tm_log "fetching Google Benchmark source into ${TM_DEPS}"
  (cd "${TM_DEPS}" && apt-get source -q --download-only benchmark \
    && tar xf "$(ls -1 benchmark_*.orig.tar.gz | tail -n 1)")
fi
src="$(tm_benchmark_source_dir)"
[[ -n "${src}" ]] || { echo "setup-debian.sh: benchmark source not found in ${TM_DEPS}" >&2; exit 1; }
echo "benchmark source: ${src}"

# 3. npm tools for the JS checks (playwright-core drives the system chromium; it never
# downloads a browser). Reinstalled only when a pinned version is missing.
tools_ok=1
for spec in "${TM_JS_TOOL_VERSIONS[@]}"; do
  name="${spec%@*}" want="${spec##*@}"
  have="$(node -p "require('${TM_JS_TOOLS}/node_modules/${name}/package.json').version" 2>/dev/null || true)"
  [[ "${have}" == "${want}" ]] || tools_ok=0
done
if ((!tools_ok)); then
  tm_log "npm install ${TM_JS_TOOL_VERSIONS[*]} into ${TM_JS_TOOLS}"
  mkdir -p "${TM_JS_TOOLS}"
  [[ -f "${TM_JS_TOOLS}/package.json" ]] \
    || printf '{ "private": true, "description": "tools of the tensormem JS checks" }\n' \
      > "${TM_JS_TOOLS}/package.json"
  (cd "${TM_JS_TOOLS}" && npm install --no-audit --no-fund --save-exact "${TM_JS_TOOL_VERSIONS[@]}")
fi
echo "js tools: ${TM_JS_TOOL_VERSIONS[*]} in ${TM_JS_TOOLS}"

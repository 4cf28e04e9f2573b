#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source (where it unpacked autograder.zip)
# when it builds the autograder's image on its Ubuntu 22.04 base. Everything the grader needs is
# installed here; nothing is downloaded while grading.
#
#   1. util-linux (unshare, prlimit, setpriv: the sandbox's operating-system measures), curl.
#   2. Node.js 24 from NodeSource's apt repository (the way Node's download page recommends for
#      Ubuntu), with the npm registry's `node` package as a fallback if that repository is
#      unreachable; Node 22 or newer already on the image is kept.
#   3. pnpm, pinned to the version in package.json's "packageManager".
#   4. The grader's dependencies from the lockfile (`pnpm install --frozen-lockfile`).
#   5. The grader secret made readable by root only, and a smoke test: the grader loads.
#
# DLKATA_TEST_OFFLINE=1 is for the project's own tests only: steps 1-3 need the internet and
# are skipped (saying so), and step 4 installs from the local pnpm store (`--offline`).
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$SOURCE"
NODE_MAJOR=24
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([0-9.]*\)".*/\1/p' package.json)"
OFFLINE="${DLKATA_TEST_OFFLINE:-}"
export DEBIAN_FRONTEND=noninteractive

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
step() { echo "== setup.sh: $*"; }

if [ -n "$OFFLINE" ]; then
  step "SKIPPED (offline test): apt-get install util-linux curl; Node.js ${NODE_MAJOR} from deb.nodesource.com; npm install -g pnpm@${PNPM_VERSION} (they need the internet)"
else
  step "system packages"
  apt-get update
  apt-get install -y --no-install-recommends ca-certificates curl gnupg util-linux
  if [ "$(node_major)" -lt 22 ]; then
    step "Node.js ${NODE_MAJOR} from NodeSource"
    if mkdir -p /etc/apt/keyrings \
      && curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg \
      && echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_${NODE_MAJOR}.x nodistro main" >/etc/apt/sources.list.d/nodesource.list \
      && apt-get update \
      && apt-get install -y nodejs; then
      :
    else
      step "NodeSource unreachable: Node.js ${NODE_MAJOR} from the npm registry"
      apt-get install -y --no-install-recommends nodejs npm
      npm install --prefix /opt/node "node@${NODE_MAJOR}"
      ln -sf /opt/node/node_modules/.bin/node /usr/local/bin/node
      hash -r
    fi
  fi
  command -v npm >/dev/null 2>&1 || apt-get install -y --no-install-recommends npm
  step "pnpm ${PNPM_VERSION}"
  npm install -g "pnpm@${PNPM_VERSION}"
fi
node --version
[ "$(node_major)" -ge 20 ] || { echo "setup.sh: Node.js 20 or newer is needed, found $(node --version 2>&1)"; exit 1; }
pnpm --version

step "dependencies from pnpm-lock.yaml"
pnpm install --frozen-lockfile ${OFFLINE:+--offline} --filter "@dlkata/grader..." --filter dlkata

step "grader secret (root only) and smoke test"
chmod 600 "$SOURCE/grader-secret"
"$SOURCE/node_modules/.bin/tsx" -e "import('./grader/src/suites/index.ts').then((m) => console.log('grader ready:', m.SUITES.length, 'suites'))"

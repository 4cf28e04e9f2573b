#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source (where it unpacked autograder.zip)
# when it builds the autograder's image on its Ubuntu 22.04 base. Everything the grader needs is
# installed here; nothing is downloaded while grading.
#
#   1. Node.js 24 from NodeSource's apt repository (the way Node's download page recommends for
#      Ubuntu), with the npm registry's `node` package as a fallback if that repository is
#      unreachable; Node 22 or newer already on the image is kept.
#   2. pnpm, pinned to the version in package.json's "packageManager".
#   3. The grader's dependencies from the lockfile (`pnpm install --frozen-lockfile`).
#   4. util-linux (unshare, prlimit, setpriv: the sandbox's operating-system measures).
set -euxo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$SOURCE"
NODE_MAJOR=24
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([0-9.]*\)".*/\1/p' package.json)"
export DEBIAN_FRONTEND=noninteractive

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

apt-get update
apt-get install -y --no-install-recommends ca-certificates curl gnupg util-linux
if [ "$(node_major)" -lt 22 ]; then
  # NodeSource's repository, as its setup script would add it (key in /etc/apt/keyrings).
  if mkdir -p /etc/apt/keyrings \
    && curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg \
    && echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_${NODE_MAJOR}.x nodistro main" >/etc/apt/sources.list.d/nodesource.list \
    && apt-get update \
    && apt-get install -y nodejs; then
    :
  else
    # Fallback: the npm registry's Node binary, installed with the distribution's npm.
    apt-get install -y --no-install-recommends nodejs npm
    npm install --prefix /opt/node "node@${NODE_MAJOR}"
    ln -sf /opt/node/node_modules/.bin/node /usr/local/bin/node
    hash -r
  fi
fi
node --version
[ "$(node_major)" -ge 22 ] || { echo "setup.sh: Node.js 22 or newer is needed, found $(node --version)"; exit 1; }
command -v npm >/dev/null 2>&1 || apt-get install -y --no-install-recommends npm
npm install -g "pnpm@${PNPM_VERSION}"
pnpm --version
pnpm install --frozen-lockfile --filter "@dlkata/grader..." --filter dlkata
# The secret the seeds are derived from: readable by root only (the sandboxed child runs as
# nobody and may read nothing but its bundle anyway).
chmod 600 "$SOURCE/grader-secret"
# Smoke test at build time: the grader loads and knows its suites.
"$SOURCE/node_modules/.bin/tsx" -e "import('./grader/src/suites/index.ts').then((m) => console.log('grader ready:', m.SUITES.length, 'suites'))"

#!/usr/bin/env bash
# Gradescope runs this once (as root) when it builds the autograder's image: it installs
# Node 20, pnpm and the grader's dependencies into /autograder/source.
set -euxo pipefail
SOURCE="${DLKATA_SOURCE:-/autograder/source}"
need_node() {
  ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]
}
if need_node; then
  apt-get update
  # util-linux brings unshare, prlimit and setpriv (the sandbox's OS measures)
  apt-get install -y --no-install-recommends ca-certificates nodejs npm util-linux
  # the distribution's Node is older than 20: take Node 20 from the npm registry
  npm install -g node@20
  hash -r
fi
node --version
npm install -g pnpm@12.4.2
cd "$SOURCE"
pnpm install --frozen-lockfile --filter "@dlkata/grader..." --filter dlkata

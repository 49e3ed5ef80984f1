#!/usr/bin/env bash
# Installs what the end-to-end tests need, idempotently and without prompts:
#   * Debian packages: chromium (the headless browser), libkrb5-dev (kerberos native build) and
#     ripgrep (seeds @vscode/ripgrep, whose own download needs github.com);
#   * code-server (a real VS Code server) into a cache folder, NOT as a project dependency:
#       ${E2E_CACHE:-<repo>/.e2e}/code-server/node_modules/.bin/code-server
# Safe to re-run: packages already present and a finished install of the same version are skipped.
# See scripts/e2e/README.md.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3   # VS Code 1.100.3; needs Node 20. Newer releases need Node 22/24.
RIPGREP_NPM_VERSION=1.15.11   # @vscode/ripgrep version pinned by this code-server release
RIPGREP_PREBUILT=v13.0.0-10   # ripgrep-prebuilt release that package downloads

START=$EPOCHREALTIME
STEP_START=$START
elapsed() { awk -v now="$EPOCHREALTIME" -v then="$1" 'BEGIN { printf "%.1f", now - then }'; }
step() { STEP_START=$EPOCHREALTIME; echo "[e2e-install] $*"; }
done_step() { echo "[e2e-install]   done in $(elapsed "$STEP_START")s"; }
die() { echo "[e2e-install] ERROR: $*" >&2; exit 1; }

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${E2E_CACHE:-$REPO/.e2e}"
mkdir -p "$CACHE" || die "cannot create cache folder $CACHE"
CACHE="$(cd "$CACHE" && pwd)"
DEST="$CACHE/code-server"
# one install at a time per cache folder (parallel CI jobs sharing a cache)
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.install.lock"
  flock -w 900 9 || die "timed out waiting for another install.sh using $CACHE"
fi
BIN="$DEST/node_modules/.bin/code-server"
MARKER="$DEST/.installed-version"

# ---------------------------------------------------------------- preconditions
command -v node >/dev/null 2>&1 || die "node is not on PATH (code-server $CODE_SERVER_VERSION needs Node 20)"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
[ "$NODE_MAJOR" = 20 ] || die "code-server $CODE_SERVER_VERSION needs Node 20 (engines.node = 20); found $(node -v)"

# ---------------------------------------------------------------- Debian packages
step "checking Debian packages"
missing=()
for pkg in chromium libkrb5-dev ripgrep; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
# node-gyp builds kerberos, argon2 and node-pty from source: it needs a C++ toolchain and python3.
if ! command -v make >/dev/null 2>&1 || ! command -v g++ >/dev/null 2>&1; then missing+=(build-essential); fi
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "[e2e-install] installing: ${missing[*]}"
  SUDO=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=(sudo -n); else
      die "missing Debian packages (${missing[*]}) and not root (no passwordless sudo); run: apt-get install -y ${missing[*]}"
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing packages (${missing[*]}) and apt-get is not available"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null \
    || die "apt-get update failed"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 "${missing[@]}" </dev/null \
    || die "apt-get install ${missing[*]} failed"
else
  echo "[e2e-install] all present"
fi
CHROMIUM="${CHROMIUM_BIN:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] || die "chromium not found at $CHROMIUM"
command -v rg >/dev/null 2>&1 || die "rg (ripgrep) not on PATH after install"
command -v krb5-config >/dev/null 2>&1 || die "krb5-config not found (libkrb5-dev)"
done_step

# ---------------------------------------------------------------- code-server
if [ -x "$BIN" ] && [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$CODE_SERVER_VERSION" ] \
  && [ "$(node -p 'require(process.argv[1]).version' "$DEST/node_modules/code-server/package.json" 2>/dev/null)" = "$CODE_SERVER_VERSION" ]; then
  echo "[e2e-install] code-server $CODE_SERVER_VERSION already installed in $DEST"
  echo "[e2e-install] total $(elapsed "$START")s"
  exit 0
fi

# Node headers for node-gyp: without a local nodedir it tries to download them from nodejs.org.
NODEDIR="${npm_config_nodedir:-/usr}"
[ -f "$NODEDIR/include/node/node_api.h" ] \
  || die "no Node headers in $NODEDIR/include/node (node-gyp would try to download them); set npm_config_nodedir to a Node 20 install that has include/node (the NodeSource nodejs package ships them in /usr)"

step "installing code-server@$CODE_SERVER_VERSION into $DEST"
rm -rf "$DEST"
mkdir -p "$DEST"
# Everything temporary (ripgrep seed, npm/node-gyp scratch files) stays inside the cache folder.
export TMPDIR="$CACHE/tmp"
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"
trap 'rm -rf "$TMPDIR"' EXIT

# @vscode/ripgrep's postinstall looks in <os.tmpdir()>/vscode-ripgrep-cache-<version>/ before it
# downloads from GitHub; put a tarball holding Debian's rg there.
case "$(uname -m)" in
  x86_64) RG_TARGET=x86_64-unknown-linux-musl ;;
  aarch64) RG_TARGET=aarch64-unknown-linux-musl ;;
  *) die "unsupported architecture $(uname -m) for the ripgrep seed" ;;
esac
mkdir -p "$TMPDIR/rgseed" "$TMPDIR/vscode-ripgrep-cache-$RIPGREP_NPM_VERSION"
cp "$(command -v rg)" "$TMPDIR/rgseed/rg"
tar czf "$TMPDIR/vscode-ripgrep-cache-$RIPGREP_NPM_VERSION/ripgrep-$RIPGREP_PREBUILT-$RG_TARGET.tar.gz" -C "$TMPDIR/rgseed" rg

cat >"$DEST/package.json" <<EOF
{ "name": "e2e-code-server-cache", "private": true, "description": "code-server for the e2e tests; written by scripts/e2e/install.sh" }
EOF

(
  cd "$DEST"
  # unsafe_perm: code-server's postinstall refuses to run as root without it (npm 11 has no flag).
  # yes: node-pty's postinstall runs `npx node-gyp`, which must not prompt.
  # nodedir: use the local Node headers (see above).
  export npm_config_unsafe_perm=true npm_config_yes=true npm_config_nodedir="$NODEDIR"
  export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false npm_config_progress=false
  npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" </dev/null
) || die "npm install code-server@$CODE_SERVER_VERSION failed (see the npm output above)"

VSC="$DEST/node_modules/code-server/lib/vscode/node_modules"
[ -x "$VSC/@vscode/ripgrep/bin/rg" ] || die "ripgrep binary missing in $VSC/@vscode/ripgrep/bin (seeding failed?)"
ls "$VSC"/node-pty/build/Release/*.node >/dev/null 2>&1 || die "node-pty was not built (terminal would not work)"
# (--version also writes a default config.yaml under XDG_CONFIG_HOME: keep that in TMPDIR)
VERSION_LINE="$(XDG_CONFIG_HOME="$TMPDIR/xdg" XDG_DATA_HOME="$TMPDIR/xdg" "$BIN" --version 2>/dev/null | grep -m1 "^$CODE_SERVER_VERSION " || true)"
case "$VERSION_LINE" in
  "$CODE_SERVER_VERSION "*) echo "[e2e-install] $VERSION_LINE" ;;
  *) die "installed code-server does not report version $CODE_SERVER_VERSION (got: '$VERSION_LINE')" ;;
esac
echo "$CODE_SERVER_VERSION" >"$MARKER"
done_step
echo "[e2e-install] total $(elapsed "$START")s"

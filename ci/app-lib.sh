# Shared by the ci/app-*.sh scripts. Source after env.sh.
APP="$ROOT/app"

# npm ci from the committed package-lock.json, skipped while node_modules was
# installed from the same lock file (npm's own cache in ~/.npm makes a
# reinstall in a fresh clone an offline copy).
app_install() {
  command -v node >/dev/null || { echo "node (>= 20.19) is needed: apt-get install nodejs npm" >&2; exit 1; }
  local stamp="$APP/node_modules/.aip-lock-sha256" want
  want=$(sha256sum "$APP/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  step "npm ci (app/)"
  ( cd "$APP" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error )
  echo "$want" > "$stamp"
}

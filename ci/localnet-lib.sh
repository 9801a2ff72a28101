# Shared by ci/localnet.sh (one validator) and ci/localnet-multi.sh (several).
# Source it after env.sh.

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

set_toml() { # file section key value  (value written verbatim)
  python3 - "$@" <<'PY'
import re, sys
path, section, key, value = sys.argv[1:5]
lines = open(path).read().split("\n")
cur, done = "", False
for i, line in enumerate(lines):
    m = re.match(r"^\s*\[([^\]]+)\]\s*$", line)
    if m:
        cur = m.group(1)
        continue
    if cur == section and re.match(r"^\s*" + re.escape(key) + r"\s*=", line):
        lines[i] = f"{key} = {value}"
        done = True
        break
if not done:
    sys.exit(f"{path}: [{section or 'top level'}] {key} not found")
open(path, "w").write("\n".join(lines))
PY
}

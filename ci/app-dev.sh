#!/usr/bin/env bash
# The prosumer app against the running localnet (ci/localnet.sh start):
# deploys the contracts with the zk-verifier as minter (KYC files made with
# aip-kyc: TEST ONLY, single-party setup), starts an aip-gateway, writes
# app/public/aip-app.json and the provider's public files, and serves the
# app with Vite's dev server (Ctrl-C stops the app and the gateway).
#   ci/app-dev.sh                               set up and serve on http://127.0.0.1:5173
#   ci/app-dev.sh issue COMMITMENT REFERENCE    the KYC provider issues a credential
#                                               (prints it) and publishes the tree root
#   ci/app-dev.sh meter ADDRESS NODE            the grid operator registers a meter of
#                                               ADDRESS on NODE (1: zone North, 2: South)
#                                               with a new device key (aip-oracle keygen)
# The online matcher (aip-matcher run --gateway) runs beside the gateway and
# commits each slot at gate closure; meter readings come from aip-oracle
# (offchain/oracle/README.md) with the device keys written here.
. "$(dirname "$0")/env.sh"
. "$ROOT/ci/app-lib.sh"
cd "$ROOT"
eval "$("$ROOT/ci/localnet.sh" env | sed 's/^/export /')"
DIR="${AIP_APP_DEV_DIR:-$AIP_CACHE/app-dev/$AIP_CHAIN_ID}"
KYC="$APP/public/kyc"
BIN="$CARGO_TARGET_DIR/debug"
DEP="$DIR/deployment.json"
aip() { "$BIN/aip" --deployment "$DEP" "$@"; }
kyc() { "$BIN/aip-kyc" "$@"; }

if [ "${1:-}" = "issue" ]; then
  [ $# -eq 3 ] || { echo "usage: ci/app-dev.sh issue COMMITMENT REFERENCE" >&2; exit 2; }
  out=$(mktemp)
  kyc tree add --tree "$KYC/tree.json" --commitment "$2" --reference "$3" --expiry 4000000000 \
    --credential-out "$out" --force >&2
  aip execute zk-verifier "{\"publish_root\":{\"root\":\"$(kyc tree root --tree "$KYC/tree.json")\"}}" >&2
  cat "$out"; rm -f "$out"
  exit 0
fi

if [ "${1:-}" = "meter" ]; then
  [ $# -eq 3 ] || { echo "usage: ci/app-dev.sh meter ADDRESS NODE" >&2; exit 2; }
  count=$(aip query meter-oracle '{"config":{}}' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).meters))')
  id=$((count + 1))
  pk=$("$BIN/aip-oracle" keygen --first "$id" --count 1 --out "$DIR/device-key-$id.toml" | awk '{print $2}')
  pk64=$(node -e 'console.log(Buffer.from(process.argv[1], "hex").toString("base64"))' "$pk")
  aip execute meter-oracle "{\"register_meter\":{\"owner\":\"$2\",\"node\":$3,\"pubkey\":\"$pk64\"}}" --from dso >&2
  echo "meter $id of $2 on node $3; its device key: $DIR/device-key-$id.toml"
  exit 0
fi

"$ROOT/ci/localnet.sh" status >/dev/null || { echo "start the localnet first: ci/localnet.sh start" >&2; exit 1; }
app_install
cargo build -q --locked -p aip-cli -p aip-kyc -p gateway -p aip-matcher -p aip-oracle
"$ROOT/ci/install-python.sh" >/dev/null   # ONNX Runtime for the gateway's forecasts
ls artifacts/*.wasm >/dev/null 2>&1 || "$ROOT/ci/build-wasm.sh"
( cd "$APP" && bash ../ci/app-prover.sh >/dev/null )

mkdir -p "$DIR" "$KYC"
if [ ! -f "$DIR/keys/proving.key" ]; then
  step "KYC keys and lists (aip-kyc, single-party setup: TEST ONLY)"
  kyc setup --out-dir "$DIR/keys" >/dev/null
  kyc tree new --tree "$KYC/tree.json" --force >/dev/null
  kyc set new --set "$KYC/sanctions.json" --force >/dev/null
  kyc set new --set "$KYC/revocations.json" --force >/dev/null
  rm -f "$DEP"
fi
cp "$DIR/keys/proving.key" "$KYC/proving.key"
step "aip deploy"
aip deploy --zk-verifying-key "$DIR/keys/verifying_key.hex" >/dev/null
# The compliance role publishes the sanctions list's root (unless it is the current one already).
want=$(kyc set root --set "$KYC/sanctions.json")
have=$(aip query zk-verifier '{"roots":{}}' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).sanctions))')
[ "$want" = "$have" ] || aip execute zk-verifier "{\"publish_sanctions_root\":{\"root\":\"$want\"}}" >/dev/null
settlement=$(node -e 'console.log(require(process.argv[1]).contracts.settlement.address)' "$DEP")
# The grid operator's zones (node 1 in North, node 2 in South) and the corridors between them.
for z in '{"id":1,"name":"North"}' '{"id":2,"name":"South"}'; do
  aip execute settlement "{\"upsert_zone\":{\"zone\":$z}}" --from dso >/dev/null
done
aip execute settlement '{"set_node_zones":{"nodes":[{"node":1,"zone":1},{"node":2,"zone":2}]}}' --from dso >/dev/null
for c in '{"from_zone":1,"to_zone":2,"capacity_wh":"5000","fee_per_kwh":"2000","loss_bps":100}' \
         '{"from_zone":2,"to_zone":1,"capacity_wh":"4000","fee_per_kwh":"3000","loss_bps":100}'; do
  aip execute settlement "{\"set_corridor\":{\"corridor\":$c}}" --from dso >/dev/null
done

step "aip-gateway"
GW_PORT="${AIP_GATEWAY_PORT:-8787}"
cat > "$DIR/gateway.toml" <<TOML
listen = "127.0.0.1:$GW_PORT"
database = "$DIR/gateway.sqlite"
contract = "$settlement"
balance = "chain"                 # free balances: the settlement deposit accounts
[chain]
chain_id = "$AIP_CHAIN_ID"
rpc_url = "$AIP_RPC_URL"
[forecast]                        # the Trade page's forecast: meter 1 + i is household i of the data
data = "$ROOT/data/simbench/households_wh.csv.gz"
models = "$ROOT/offchain/matcher/models"
first_meter = 1
TOML
"$BIN/aip-gateway" --config "$DIR/gateway.toml" &
gw=$!
step "aip-matcher run --gateway (commits each slot at gate closure)"
"$BIN/aip-matcher" run --deployment "$DEP" --key matcher --rpc "$AIP_RPC_URL" --gateway "http://127.0.0.1:$GW_PORT" &
matcher=$!
trap 'kill $gw $matcher 2>/dev/null || true' EXIT

node -e '
const [dep, rest] = process.argv.slice(1);
const cfg = { deployment: require(dep), rest_url: rest, gateway_url: "/gateway", fee_denom: "ustake",
  gas_price: 0.0025, chain_name: "AIPCHAIN localnet",
  kyc: { proving_key_url: "/kyc/proving.key", tree_url: "/kyc/tree.json",
         sanctions_url: "/kyc/sanctions.json", revocations_url: "/kyc/revocations.json" } };
require("fs").writeFileSync(process.argv[3], JSON.stringify(cfg, null, 2) + "\n");
' "$DEP" "$AIP_REST_URL" "$APP/public/aip-app.json"
step "app: http://127.0.0.1:${AIP_APP_PORT:-5173} (the KYC provider: ci/app-dev.sh issue COMMITMENT REFERENCE)"
cd "$APP" && AIP_GATEWAY_URL="http://127.0.0.1:$GW_PORT" npx vite --host 127.0.0.1 --port "${AIP_APP_PORT:-5173}" --strictPort

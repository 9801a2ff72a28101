// Generates the TypeScript clients of every contract from the committed
// JSON schemas (schema/<contract>/<contract>.json) with @cosmwasm/ts-codegen.
//   node scripts/codegen.mjs [OUT_DIR]   (default: src/contracts)
// ci/app-codegen.sh --check regenerates into a temporary folder and diffs.
import { readdirSync, existsSync, rmSync, mkdirSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import codegen from "@cosmwasm/ts-codegen";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const out = resolve(process.argv[2] ?? join(here, "../src/contracts"));

// PascalCase client names: aip-token -> AipToken.
const pascal = (name) =>
  name
    .split(/[-_]/)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");

const schemaRoot = join(root, "schema");
const contracts = readdirSync(schemaRoot)
  .filter((name) => existsSync(join(schemaRoot, name, `${name}.json`)))
  .sort()
  .map((name) => ({ name: pascal(name), dir: join(schemaRoot, name) }));
if (contracts.length === 0) throw new Error(`no schemas under ${schemaRoot}`);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await codegen.default({
  contracts,
  outPath: out,
  options: {
    bundle: { enabled: true, bundleFile: "index.ts", scope: "contracts" },
    types: { enabled: true },
    client: { enabled: true },
    reactQuery: { enabled: false },
    recoil: { enabled: false },
    messageComposer: { enabled: false },
    messageBuilder: { enabled: false },
    useContractsHook: { enabled: false },
  },
});
console.log(`generated ${contracts.map((c) => c.name).join(", ")} into ${out}`);

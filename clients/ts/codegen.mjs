// Generates src/ (typed cosmjs clients, message composers and types) from the contract schemas in
// ../../schemas with @cosmwasm/ts-codegen. `--check` regenerates into a temp dir and fails when
// src/ is stale, so a schema change cannot land without its client.
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import codegenModule from "@cosmwasm/ts-codegen";

const codegen = codegenModule.default ?? codegenModule;
const here = dirname(fileURLToPath(import.meta.url));
const schemas = join(here, "../../schemas");
const check = process.argv.includes("--check");

// Contract dir name → TypeScript name (OpenToken, DatanetRegistry, …).
const contracts = readdirSync(schemas, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(schemas, d.name, `${d.name}.json`)))
  .map((d) => ({
    name: d.name.replace(/(^|-)([a-z])/g, (_, __, c) => c.toUpperCase()),
    dir: join(schemas, d.name),
  }))
  .sort((a, b) => a.name.localeCompare(b.name));

const out = check ? mkdtempSync(join(tmpdir(), "openledger-ts-")) : join(here, "src");
if (!check) rmSync(out, { recursive: true, force: true });

await codegen({
  contracts,
  outPath: out,
  options: {
    bundle: { enabled: true, bundleFile: "index.ts", scope: "contracts" },
    types: { enabled: true },
    // cw3 has both an execute and a query named `vote`, so signing clients cannot extend query clients.
    client: { enabled: true, execExtendsQuery: false },
    messageComposer: { enabled: true },
    reactQuery: { enabled: false },
    recoil: { enabled: false },
    messageBuilder: { enabled: false },
    useContractsHook: { enabled: false },
  },
});

if (check) {
  const files = (dir) =>
    readdirSync(dir, { recursive: true })
      .filter((f) => f.endsWith(".ts"))
      .sort();
  const want = files(out);
  const have = existsSync(join(here, "src")) ? files(join(here, "src")) : [];
  const stale = [];
  for (const f of new Set([...want, ...have])) {
    const a = existsSync(join(out, f)) ? readFileSync(join(out, f), "utf8") : null;
    const b = existsSync(join(here, "src", f)) ? readFileSync(join(here, "src", f), "utf8") : null;
    if (a !== b) stale.push(f);
  }
  rmSync(out, { recursive: true, force: true });
  if (stale.length) {
    console.error(`clients/ts/src is stale (run: cd clients/ts && npm run codegen): ${stale.join(", ")}`);
    process.exit(1);
  }
  console.log(`clients/ts/src matches the schemas (${contracts.length} contracts)`);
}

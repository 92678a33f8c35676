// The whole OpenLedger loop on a running chain whose contracts scripts/deploy.sh deployed: a
// Datanet is created from the sample corpus in scripts/demo/, contributions are bonded, reviewed
// and published; a model trained on it is registered and answers two paid questions; three
// `openledger-attester` daemons verify and attribute each answer (commit, reveal, quorum) and
// settle it, paying the rows that influenced it; everyone claims. It ends with an attribution
// receipt, printed and written as JSON, whose proofs `openledger-attester receipt verify` checks.
// Every party that holds content runs its own IPFS node (kubo) with its own cache: the
// contributors add their rows there, the model owner its answers, the attesters fetch both from
// their peers and check them against the chain's hashes. Nothing is shared but the chain and IPFS.
//
// Run it via scripts/demo.sh (see --help); the lifecycle test checks the receipt it writes.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { DEV_MNEMONIC, GAS_PRICE } from "./dev-chain.mjs";
import { kuboBinary, rawCid, startKubo } from "./ipfs.mjs";
import pkg from "./dist/index.js";

const { contracts } = pkg;
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");


const HELP = `Usage: node clients/ts/demo.mjs --contracts FILE --home DIR --model PATH [options]
(normally run by scripts/demo.sh)

Options:
  --rpc URL           CometBFT RPC (default $OPENLEDGER_RPC or http://127.0.0.1:26657)
  --contracts FILE    addresses file written by scripts/deploy.sh
  --home DIR          work directory: each party's IPFS repo and cache, attester homes and logs, receipt
  --attester-bin PATH openledger-attester binary (default target/debug/openledger-attester)
  --model PATH        GGUF model served (scripts/demo.sh passes the one scripts/fetch-models.sh caches)
  --liar              the third attester commits a wrong result (it must be slashed)
  --crash             kill -9 the second attester after its commit and restart it
  --receipt FILE      where to write the receipt (default DIR/receipt.json)
  -h, --help          this text`;

function fail(message) {
  console.error(`demo: ${message}`);
  process.exit(1);
}

const { values: opts } = parseArgs({
  options: {
    rpc: { type: "string", default: process.env.OPENLEDGER_RPC ?? "http://127.0.0.1:26657" },
    contracts: { type: "string" },
    home: { type: "string" },
    "attester-bin": { type: "string", default: join(repo, "target/debug/openledger-attester") },
    model: { type: "string" },
    liar: { type: "boolean", default: false },
    crash: { type: "boolean", default: false },
    receipt: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
if (!opts.contracts || !opts.home || !opts.model) fail("--contracts, --home and --model are required (see --help)");
const home = resolve(opts.home);
let kubo;
try {
  kubo = kuboBinary();
} catch (e) {
  fail(e.message);
}
const bin = resolve(opts["attester-bin"]);
if (!existsSync(bin)) fail(`${bin} is missing: cargo build -p openledger-attester`);
const deployment = JSON.parse(readFileSync(opts.contracts, "utf8"));
const addr = Object.fromEntries(Object.entries(deployment.contracts).map(([k, v]) => [k, v.address]));
const corpus = JSON.parse(readFileSync(join(repo, "scripts/demo/corpus.json"), "utf8"));
const modelPath = resolve(opts.model);
if (!existsSync(modelPath)) fail(`${modelPath} is missing: run scripts/setup.sh (it fetches the model)`);
const modelHash = sha256hex(readFileSync(modelPath));
const children = [];
process.on("exit", () => children.forEach((c) => c.proc?.kill("SIGTERM")));
process.on("unhandledRejection", (e) => fail(`${e?.stack ?? e}`));

const TOTAL = 14;
let stepNo = 0;
const step = (text) => console.log(`\n[${String(++stepNo).padStart(2)}/${TOTAL}] ${text}`);
const note = (text) => console.log(`        ${text}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const b64json = (v) => Buffer.from(JSON.stringify(v)).toString("base64");

/** An attribute of the wasm events of an execute result. */
function attr(res, key) {
  for (const ev of res.events) {
    if (!ev.type.startsWith("wasm")) continue;
    const a = ev.attributes.find((x) => x.key === key);
    if (a) return a.value;
  }
  throw new Error(`no ${key} attribute in tx ${res.transactionHash}`);
}

async function waitFor(fn, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(500);
  }
}

function runAttester(args, what) {
  const r = spawnSync(bin, args, { encoding: "utf8", env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" } });
  if (r.status !== 0) fail(`${what} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

// ---------------------------------------------------------------------------------------------
step("Connecting and creating the cast (fresh keys, so every balance starts at zero)");
const deployerWallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: "open" });
const [{ address: deployer }] = await deployerWallet.getAccounts();
const connect = (wallet) => SigningCosmWasmClient.connectWithSigner(opts.rpc, wallet, { gasPrice: GAS_PRICE, broadcastPollIntervalMs: 300 });
const deployerClient = await connect(deployerWallet);
const chainId = await deployerClient.getChainId();
if (chainId !== deployment.chain_id) fail(`${opts.contracts} is for chain ${deployment.chain_id}, the node runs ${chainId}`);

step("Every party that holds content starts its own IPFS node (kubo), peered on loopback");
/** A party's IPFS node and cache: `<home>/<name>/ipfs` and `<home>/<name>/content`. */
const nodes = {};
for (const name of ["carol", "dave", "frank", "model_owner", "attester-1", "attester-2", "attester-3"]) {
  const node = await startKubo({ bin: kubo, repo: join(home, name, "ipfs") });
  children.push({ proc: node.proc });
  for (const other of Object.values(nodes)) await node.ipfs.connect(other.multiaddr);
  nodes[name] = { ...node, content: join(home, name, "content") };
  note(`${name.padEnd(12)} ${node.api}  ${node.multiaddr}`);
}

const cast = {};
for (const name of ["owner", "carol", "dave", "frank", "model_owner", "payer"]) {
  const wallet = await DirectSecp256k1HdWallet.generate(12, { prefix: "open" });
  const [{ address }] = await wallet.getAccounts();
  cast[name] = { name, address, client: await connect(wallet) };
}
const attesters = [];
for (let i = 1; i <= 3; i++) {
  const dir = join(home, `attester-${i}`);
  const node = nodes[`attester-${i}`];
  const args = ["init", "--home", dir, "--chain-id", chainId, "--rpc", opts.rpc, "--contracts", resolve(opts.contracts), "--content-dir", node.content, "--ipfs-api", node.api, "--model", modelPath, "--metrics-addr", `127.0.0.1:${39460 + i}`];
  const address = runAttester(args, `attester ${i} init`);
  const config = join(dir, "config.toml");
  const liar = opts.liar && i === 3;
  if (liar) writeFileSync(config, readFileSync(config, "utf8").replace(/^lie = false$/m, "lie = true"));
  attesters.push({ name: `attester-${i}`, address, dir, config, liar, log: join(dir, "attester.log") });
}
for (const p of [...Object.values(cast), ...attesters]) note(`${p.name.padEnd(12)} ${p.address}${p.liar ? "  (will lie)" : ""}`);

step("Funding everyone from the dev account (uopen for gas; OPEN is wrapped from uopen)");
const FUND = "50000000";
const fundRes = await deployerClient.signAndBroadcast(
  deployer,
  [...Object.values(cast), ...attesters].map((p) => ({
    typeUrl: "/cosmos.bank.v1beta1.MsgSend",
    value: { fromAddress: deployer, toAddress: p.address, amount: [{ denom: "uopen", amount: FUND }] },
  })),
  "auto",
);
if (fundRes.code !== 0) fail(`funding failed: ${fundRes.rawLog}`);
note(`tx ${fundRes.transactionHash}`);

const open = (c) => new contracts.OpenToken.OpenTokenClient(c.client, c.address, addr.open_token);
const openQuery = new contracts.OpenToken.OpenTokenQueryClient(deployerClient, addr.open_token);
const datanets = (c) => new contracts.DatanetRegistry.DatanetRegistryClient(c.client, c.address, addr.datanet_registry);
const datanetQuery = new contracts.DatanetRegistry.DatanetRegistryQueryClient(deployerClient, addr.datanet_registry);
const escrow = (c) => new contracts.AttributionEscrow.AttributionEscrowClient(c.client, c.address, addr.attribution_escrow);
const escrowQuery = new contracts.AttributionEscrow.AttributionEscrowQueryClient(deployerClient, addr.attribution_escrow);
const registryQuery = new contracts.AttesterRegistry.AttesterRegistryQueryClient(deployerClient, addr.attester_registry);
const openBalance = async (address) => BigInt((await openQuery.balance({ address })).balance);
/** Wraps `amount` uopen into OPEN and sends it to `contract` with the hook message `msg`. */
async function payOpen(who, contract, amount, msg) {
  await open(who).deposit("auto", undefined, [{ denom: "uopen", amount: String(amount) }]);
  return open(who).send({ contract, amount: String(amount), msg: b64json(msg) });
}

step("Three attesters register their ed25519 keys and bond stake, then start their daemons");
const BOND = 1_000_000n;
for (const a of attesters) {
  note(runAttester(["register", "-c", a.config, "--bond", String(BOND), "--backend", "wgpu"], `${a.name} register`));
}
// The escrow samples among every eligible attester: ones left registered by an earlier run on
// this chain (their daemons gone) would be assigned and miss, and the story would not settle.
const eligible = await registryQuery.eligible({ method: "suffix_span", modelHash, limit: 100 });
const strangers = eligible.attesters.filter((e) => !attesters.some((a) => a.address === e.operator));
if (strangers.length > 0) {
  fail(`${strangers.length} other attester(s) on this chain serve the same model (an earlier demo run?); ` + "jobs would be assigned to them too. Run the demo on a fresh chain (scripts/demo.sh without --rpc).");
}
function startDaemon(a) {
  const proc = spawn(bin, ["run", "-c", a.config], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "info" } });
  const write = (d) => writeFileSync(a.log, d, { flag: "a" });
  proc.stdout.on("data", write);
  proc.stderr.on("data", write);
  a.proc = proc;
  a.starts = (a.starts ?? 0) + 1;
  children.push(a);
  return proc;
}
attesters.forEach(startDaemon);
const metrics = async (a) => (await fetch(`http://127.0.0.1:${39460 + attesters.indexOf(a) + 1}/metrics`)).text();
await waitFor(async () => (await Promise.all(attesters.map((a) => metrics(a)))).every((t) => t.includes("openledger_attester_chain_height")), "the attester daemons' metrics endpoints", 60_000);
note("daemons up; metrics on 127.0.0.1:39461-39463/metrics");

step(`A Datanet is created: "${corpus.datanet.name}"`);
const owner = cast.owner;
const created = await datanets(owner).createDatanet({
  name: corpus.datanet.name,
  summary: corpus.datanet.summary,
  description: corpus.datanet.description,
  tags: corpus.datanet.tags,
  kind: "text",
  license: corpus.datanet.license,
  policy: "open",
  minValidationScoreBps: 5000,
});
const datanetId = Number(attr(created, "datanet_id"));
note(`Datanet ${datanetId} (tx ${created.transactionHash})`);

step(`Contributors bond and submit ${corpus.rows.length} rows (bytes on their IPFS nodes, hashes and ipfs:// uris on chain)`);
const { params: dnParams } = await datanetQuery.config();
const bonded = new Set();
const rows = [];
for (const row of corpus.rows) {
  const who = cast[row.contributor];
  if (!bonded.has(who.name)) {
    await payOpen(who, addr.datanet_registry, dnParams.min_contributor_bond, { bond: { datanet_id: datanetId } });
    bonded.add(who.name);
  }
  const bytes = Buffer.from(row.text, "utf8");
  const { sha256: hash, uri } = await nodes[who.name].ipfs.add(bytes);
  const res = await datanets(who).contribute({ datanetId, contentHash: hash, size: bytes.length, uri, license: corpus.datanet.license });
  const id = Number(attr(res, "contribution_id"));
  rows.push({ id, contributor: who.name, address: who.address, text: row.text, hash, score_bps: row.score_bps, accept: !row.reject, tx: res.transactionHash });
  note(`#${id} by ${who.name}: "${row.text.slice(0, 60)}${row.text.length > 60 ? "…" : ""}"`);
}

step("The owner curates: accepts rows with validation scores, rejects a wrong one (newest first)");
// Newest first, so the Merkle tree's (acceptance) order is not the id order the attesters list.
for (const r of [...rows].reverse()) {
  const res = await datanets(owner).reviewContribution({ contributionId: r.id, accept: r.accept, validationScoreBps: r.score_bps });
  r.review_tx = res.transactionHash;
  note(`#${r.id} ${r.accept ? `accepted, score ${r.score_bps}` : "rejected"}`);
}

step("The owner publishes version 1 (fee in OPEN); its Merkle root pins the accepted rows");
const { fee: publishFee } = await datanetQuery.publishFee({ datanetId });
const published = await payOpen(owner, addr.datanet_registry, publishFee, { publish: { datanet_id: datanetId } });
const version = await datanetQuery.version({ datanetId, version: 1 });
note(`v1: ${version.leaf_count} rows, root ${version.merkle_root}, fee ${publishFee} (tx ${published.transactionHash})`);

step("A model trained on v1 is registered (SmolLM2-135M-Instruct; access granted by the owner)");
await datanets(owner).grantAccess({ datanetId, grantee: cast.model_owner.address });
// 170 000 per 1k tokens: every share of this demo divides exactly (contributor weights are multiples
// of 500 summing to 85 × 500), so the escrow ends with nothing left in it.
const PRICE_IN = "170000";
const PRICE_OUT = "170000";
const modelRes = await new contracts.ModelRegistry.ModelRegistryClient(cast.model_owner.client, cast.model_owner.address, addr.model_registry).registerModel({
  name: "smollm2-geo",
  baseModelHash: modelHash,
  datanets: [{ datanet_id: datanetId, version: 1, root: version.merkle_root }],
  priceInPer1k: PRICE_IN,
  priceOutPer1k: PRICE_OUT,
});
const modelId = Number(attr(modelRes, "model_id"));
note(`model ${modelId}, hash ${modelHash} (tx ${modelRes.transactionHash})`);

step(`The model serves ${corpus.questions.length} paid inferences`);
const served = [];
for (const prompt of corpus.questions) {
  process.stdout.write(`        ${JSON.stringify(prompt)} →`);
  served.push(
    await new Promise((ok, ko) => {
      const p = spawn(bin, ["infer", "--model", modelPath, "--content-dir", nodes.model_owner.content, "--ipfs-api", nodes.model_owner.api, "--prompt", prompt, "--chat", "--max-tokens", "32"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: "warn" } });
      let out = "";
      p.stdout.on("data", (d) => (out += d));
      p.stderr.on("data", (d) => process.stdout.write(d.toString().replace(/\n/g, " ")));
      p.on("exit", (code) => (code === 0 ? ok({ prompt, ...JSON.parse(out) }) : ko(new Error(`infer exited ${code}`))));
    }),
  );
  console.log();
  const s = served.at(-1);
  note(`${s.input_tokens} prompt tokens, ${s.output_tokens} output tokens; output ${s.output_hash}`);
}

step("The payer pays for the attribution of each answer (OPEN into the escrow)");
const party = (name, address) => ({ name, address });
const parties = [
  party("payer", cast.payer.address),
  party("model_owner", cast.model_owner.address),
  ...rows.filter((r, i, all) => all.findIndex((x) => x.address === r.address) === i).map((r) => party(r.contributor, r.address)),
  ...attesters.map((a) => party(a.name, a.address)),
  party("treasury", (await escrowQuery.config()).treasury),
  party("escrow", addr.attribution_escrow),
];
for (const s of served) s.quote = await escrowQuery.quoteFee({ modelId, inputTokens: s.input_tokens, outputTokens: s.output_tokens });
const totalFee = served.reduce((t, s) => t + BigInt(s.quote.fee), 0n);
await open(cast.payer).deposit("auto", undefined, [{ denom: "uopen", amount: String(totalFee) }]);
const ledgerBefore = await escrowQuery.ledger();
for (const p of parties) p.open_before = String(await openBalance(p.address));
const bondsBefore = await Promise.all(attesters.map((a) => registryQuery.attester({ operator: a.address })));
for (const s of served) {
  const requested = await open(cast.payer).send({
    contract: addr.attribution_escrow,
    amount: s.quote.fee,
    msg: b64json({
      request_job: {
        model_id: modelId,
        method: "suffix_span",
        input_hash: s.input_hash,
        output_hash: s.output_hash,
        input_tokens: s.input_tokens,
        output_tokens: s.output_tokens,
        ask_count: 3,
        method_params: b64json({ min_len: 4, max_cnt: 64 }),
      },
    }),
  });
  s.job_id = Number(attr(requested, "job_id"));
  s.request_tx = requested.transactionHash;
  note(`job ${s.job_id}: fee ${s.quote.fee} (platform ${s.quote.platform_fee}) for ${JSON.stringify(s.prompt)}, assigned to all three attesters (tx ${s.request_tx})`);
}

step("The attesters attribute them: commit, reveal, quorum, settle");
const lastStatus = {};
const seenAssignment = {};
let crashed = false;
const crashJob = served[0].job_id;
const over = (status) => ["settled", "failed", "expired", "inputs_unavailable"].includes(status);
const jobs = await waitFor(async () => {
  const all = [];
  for (const s of served) {
    const r = await escrowQuery.job({ jobId: s.job_id });
    if (r.job.status !== lastStatus[s.job_id]) {
      lastStatus[s.job_id] = r.job.status;
      note(`job ${s.job_id}: ${r.job.status}`);
    }
    for (const as of r.assignments) {
      const a = attesters.find((x) => x.address === as.attester);
      const key = `${s.job_id}/${as.attester}`;
      if (seenAssignment[key] !== as.status) {
        seenAssignment[key] = as.status;
        note(`  job ${s.job_id} ${a.name}: ${as.status}${as.ack && "error" in as.ack ? ` (${as.ack.error})` : ""}`);
      }
      if (opts.crash && !crashed && s.job_id === crashJob && a === attesters[1] && as.status === "committed") {
        crashed = true;
        note(`  kill -9 ${a.name} after its commit to job ${s.job_id} (pid ${a.proc.pid}), then restart it`);
        a.proc.kill("SIGKILL");
        await new Promise((r) => a.proc.once("exit", r));
        startDaemon(a);
      }
    }
    all.push(r);
  }
  return all.every((r) => over(r.job.status)) ? all : undefined;
}, `jobs ${served.map((s) => s.job_id).join(", ")} to settle`, 300_000);
for (const j of jobs) if (j.job.status !== "settled") fail(`job ${j.job.id} ended ${j.job.status}`);

step("Everyone claims: model owner and contributors from the escrow, attesters with their daemons' key");
const claims = {};
const mo = await escrow(cast.model_owner).claim();
claims.model_owner = [mo.transactionHash];
for (const a of attesters) {
  const out = runAttester(["claim", "-c", a.config], `${a.name} claim`);
  claims[a.name] = [out.match(/tx ([0-9A-F]{64})/)?.[1]].filter(Boolean);
}
// Rows paid for their influence are credited to their contributor's balance (`claim`); rows past
// a result's top K are paid from the version's validation-score pool (`claim_contributor`).
for (const p of parties.filter((p) => rows.some((r) => r.address === p.address))) {
  const who = cast[p.name];
  claims[p.name] = [];
  if (BigInt((await escrowQuery.balance({ address: who.address })).balance) > 0n) claims[p.name].push((await escrow(who).claim()).transactionHash);
  const c = await escrowQuery.contributorClaimable({ datanetId, version: 1, contributor: who.address });
  if (BigInt(c.payable) > 0n) claims[p.name].push((await escrow(who).claimContributor({ datanetId, version: 1 })).transactionHash);
}
for (const p of parties) {
  p.open_after = String(await openBalance(p.address));
  p.earned = String(BigInt(p.open_after) - BigInt(p.open_before));
  p.claim_txs = claims[p.name] ?? [];
}
for (const r of rows) {
  const e = await escrowQuery.contributionEarnings({ contributionId: r.id });
  r.earned = e.earned;
  r.paid_by_jobs = e.jobs;
}

step("The receipt");
const bondsAfter = await Promise.all(attesters.map((a) => registryQuery.attester({ operator: a.address })));
const journals = attesters.map((a) => readJournal(a, crashJob));
// The attesters' full results and the answers, fetched over IPFS like any reader's.
const fetched = {};
for (const { job } of jobs) fetched[job.result.result_hash] = await readContent(job.result.result_hash);
for (const s of served) fetched[s.output_hash] = await readContent(s.output_hash);
const receipt = {
  chain_id: chainId,
  model: { id: modelId, name: "smollm2-geo", hash: modelHash, owner: cast.model_owner.address, price_in_per_1k: PRICE_IN, price_out_per_1k: PRICE_OUT },
  datanet: { id: datanetId, version: 1, root: version.merkle_root, total_weight: version.total_weight },
  jobs: served.map((s, i) => {
    const { job, assignments } = jobs[i];
    const full = decodeResult(fetched[job.result.result_hash]);
    return {
      job_id: s.job_id,
      prompt: s.prompt,
      answer: fetched[s.output_hash].toString("utf8"),
      tokens: { input: s.input_tokens, output: s.output_tokens },
      fee: s.quote.fee,
      platform_fee: s.quote.platform_fee,
      request_tx: s.request_tx,
      attribution: {
        method: full.method,
        result_hash: job.result.result_hash,
        weights_bps: job.result.weights_bps,
        // The rows the escrow paid, with their share of their version's weight.
        contributions: job.result.contributions.map((c) => {
          const r = rows.find((x) => x.id === c.contribution_id);
          return { ...c, contributor: r?.contributor, address: r?.address, text: r?.text };
        }),
        // Every row with positive influence, as gpu-oracle scored them (behind result_hash).
        influence: full.contributions,
      },
      assignments: assignments.map((a) => ({ attester: a.attester, status: a.status })),
      // The receipts of the attesters whose result was final: signed packet, rows, Merkle
      // proofs and matched spans (`openledger-attester receipt verify` checks them offline).
      evidence: assignments
        .filter((a) => a.status === "in_quorum")
        .map((a) => readAttesterReceipt(attesters.find((x) => x.address === a.attester), s.job_id)),
    };
  }),
  rows: rows.map(({ id, contributor, address, text, hash, score_bps, accept, tx, earned, paid_by_jobs }) => ({ id, contributor, address, text, hash, score_bps, accept, tx, earned, paid_by_jobs })),
  parties,
  attesters: attesters.map((a, i) => ({
    name: a.name,
    address: a.address,
    liar: a.liar,
    restarted: a.starts > 1,
    assignments: Object.fromEntries(jobs.map((j) => [j.job.id, j.assignments.find((x) => x.attester === a.address)?.status])),
    bonded_before: bondsBefore[i].bonded,
    bonded_after: bondsAfter[i].bonded,
    slashed: String(BigInt(bondsAfter[i].slashed_total) - BigInt(bondsBefore[i].slashed_total)),
    status_after: bondsAfter[i].status,
    journal: journals[i],
  })),
  crash_job: crashJob,
  escrow: { ledger_before: ledgerBefore, ledger_after: await escrowQuery.ledger() },
  params: (await escrowQuery.config()).params,
  txs: { publish: published.transactionHash, model: modelRes.transactionHash, claims },
};
const receiptFile = resolve(opts.receipt ?? join(home, "receipt.json"));
writeFileSync(`${receiptFile}.tmp`, `${JSON.stringify(receipt, null, 2)}\n`);
renameSync(`${receiptFile}.tmp`, receiptFile);
printReceipt(receipt);
console.log(`\nreceipt written to ${receiptFile}`);
console.log(`check its proofs offline: openledger-attester receipt verify ${receiptFile}`);
process.exit(0);

// ---------------------------------------------------------------------------------------------
function sha256hex(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Content by its sha256, through the model owner's IPFS node (one block: its CID is the hash). */
function readContent(hash) {
  return nodes.model_owner.ipfs.cat(rawCid(hash), { sha256: hash });
}

function readAttesterReceipt(a, id) {
  const f = join(a.dir, "state", "receipts", `${String(id).padStart(20, "0")}.json`);
  if (!existsSync(f)) fail(`${a.name} wrote no receipt for job ${id} (${f})`);
  return JSON.parse(readFileSync(f, "utf8"));
}

function readJournal(a, id) {
  const f = join(a.dir, "state", "jobs", `${String(id).padStart(20, "0")}.json`);
  return existsSync(f) ? JSON.parse(readFileSync(f, "utf8")) : null;
}

/** gpu-oracle's canonical result bytes ("OLPOA" v1, see gpu-oracle/src/attribution/result.rs). */
function decodeResult(buf) {
  let o = 0;
  const take = (n) => buf.subarray(o, (o += n));
  if (take(6).toString("latin1") !== "OLPOA\x01") throw new Error("not an OLPOA v1 result");
  take(1);
  const method = take(buf[o] + 1).subarray(1).toString("utf8");
  take(64);
  const weights = [];
  for (let n = buf.readUInt32BE((o += 4) - 4); n > 0; n--) {
    weights.push({ datanet_id: Number(buf.readBigUInt64BE(o)), version: buf.readUInt32BE(o + 8), bps: buf.readUInt32BE(o + 12) });
    o += 16;
  }
  const contributions = [];
  for (let n = buf.readUInt32BE((o += 4) - 4); n > 0; n--) {
    contributions.push({ datanet_id: Number(buf.readBigUInt64BE(o)), version: buf.readUInt32BE(o + 8), contribution_id: Number(buf.readBigUInt64BE(o + 12)), influence_bps: buf.readUInt32BE(o + 20) });
    o += 24;
  }
  return { method, weights, contributions };
}

function printReceipt(r) {
  const line = "─".repeat(78);
  const cut = (t, n) => `${(t ?? "").slice(0, n)}${(t ?? "").length > n ? "…" : ""}`;
  console.log(line);
  console.log(`ATTRIBUTION RECEIPT  chain ${r.chain_id}  model #${r.model.id} ${r.model.name} (${r.model.hash.slice(0, 16)}…)`);
  for (const j of r.jobs) {
    console.log(line);
    console.log(`job ${j.job_id}  ${j.tokens.input} in + ${j.tokens.output} out tokens, fee ${j.fee} OPEN base units (platform ${j.platform_fee})`);
    console.log(`prompt   ${JSON.stringify(j.prompt)}`);
    console.log(`answer   ${JSON.stringify(cut(j.answer, 66))}`);
    console.log(`influenced by (${j.attribution.method}, result ${j.attribution.result_hash.slice(0, 16)}…):`);
    if (j.attribution.weights_bps.length === 0) console.log("  no row of the Datanet: the contributors' share went where governance says");
    for (const w of j.attribution.weights_bps) console.log(`  Datanet ${w.datanet_id} v${w.version}: ${(w.bps / 100).toFixed(2)} %`);
    for (const c of j.attribution.contributions) {
      const spans = j.evidence[0]?.contributions.find((x) => x.contribution_id === c.contribution_id)?.spans ?? [];
      console.log(`    #${c.contribution_id} ${String(c.contributor).padEnd(6)} ${(c.bps / 100).toFixed(2).padStart(6)} %  "${cut(c.text, 50)}"`);
      for (const s of spans) console.log(`        matched ${JSON.stringify(s.text)} (${s.len} tokens)`);
    }
    console.log(`  evidence: ${j.evidence.length} attester receipt(s) with Merkle proofs against root ${r.datanet.root.slice(0, 16)}…`);
  }
  console.log(line);
  console.log("rows earned (OPEN base units, by influence):");
  for (const row of r.rows.filter((x) => x.accept)) console.log(`  #${row.id} ${row.contributor.padEnd(6)} ${String(row.earned).padStart(10)}  "${cut(row.text, 52)}"`);
  console.log("\nearned (OPEN base units):");
  for (const p of r.parties) {
    const a = r.attesters.find((x) => x.address === p.address);
    const statuses = a ? [...new Set(Object.values(a.assignments))].join("/") : "";
    const extra = a ? `  ${statuses}${a.liar ? ", lied" : ""}${BigInt(a.slashed) > 0n ? `, slashed ${a.slashed}` : ""}${a.restarted ? ", crashed and restarted" : ""}` : "";
    console.log(`  ${p.name.padEnd(12)} ${p.earned.padStart(10)}${p.claim_txs.length ? `  claim ${p.claim_txs.map((t) => `${t.slice(0, 12)}…`).join(" ")}` : ""}${extra}`);
  }
  console.log(line);
}

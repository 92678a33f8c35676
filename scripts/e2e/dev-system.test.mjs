// `openledgerd dev` brings up the whole system, not just the chain: this starts it on a fresh
// home (its own ports), as the README's first command does, checks that the Datanet rows and the
// answers move between the parties over its content node (kubo), and buys an answer the way a user
// would: an API key made from the dev mnemonic with `openledger-serve api-key`, then the
// unmodified `openai` npm client with only baseURL and apiKey set. The gateway opens the answer's
// job from alice's inference credit; the job is in the escrow, assigned to the dev attester, which
// works on it. Then: SIGTERM (what Ctrl-C does) stops everything and exits 0; a restart on the
// same home deploys nothing and serves again; a child killed under it makes dev stop and exit
// non-zero, naming the child.
//
// Needs OPENLEDGERD_BIN (openledger-attester and openledger-serve next to it) and the contract
// artifacts; scripts/e2e-dev.sh runs it. Ports: E2E_SYSTEM_PORT_BASE (default 23000) + 657 RPC,
// 656 P2P, 658 ABCI, 317 REST, 090 gRPC, 800 gateway, 464 attester metrics, 501 kubo RPC.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

import OpenAI from "openai";
import { CosmWasmClient, SigningCosmWasmClient } from "@cosmjs/cosmwasm";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";

import { Ipfs, rawCid } from "../../clients/ts/ipfs.mjs";
import { CLIENT_OPTS, DENOM, MNEMONIC, PREFIX, sleep, waitFor } from "./common.mjs";

const BIN = process.env.OPENLEDGERD_BIN;
const skip = BIN ? false : "OPENLEDGERD_BIN not set (scripts/e2e-dev.sh runs this)";
if (skip && process.env.OPENLEDGER_E2E === "1") throw new Error(skip);

const BASE = Number(process.env.E2E_SYSTEM_PORT_BASE ?? 23000);
const PORTS = { rpc: BASE + 657, p2p: BASE + 656, abci: BASE + 658, rest: BASE + 317, grpc: BASE + 90, serve: BASE + 800, metrics: BASE + 464, ipfs: BASE + 501 };
const RPC = `http://127.0.0.1:${PORTS.rpc}`;
const GATEWAY = `http://127.0.0.1:${PORTS.serve}/v1`;
const MODEL = "smollm2-135m-instruct";
const ALICE = "open19rl4cm2hmr8afy4kldpxz3fka4jguq0attl9rz";

/** `openledgerd dev` on the test's home; `output` is everything it printed. */
function startDev(home) {
  // 200 ms blocks: the first start sends some 40 txs.
  const args = ["dev", "--home", home, "--block-time", "200ms", "--rpc-port", PORTS.rpc, "--p2p-port", PORTS.p2p, "--abci-port", PORTS.abci, "--rest-port", PORTS.rest, "--grpc-port", PORTS.grpc, "--serve-port", PORTS.serve, "--attester-metrics-port", PORTS.metrics, "--ipfs-port", PORTS.ipfs].map(String);
  const proc = spawn(BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
  const dev = { proc, output: "", exit: new Promise((ok) => proc.on("exit", (code, signal) => ok({ code, signal }))) };
  const take = (d) => (dev.output += d);
  proc.stdout.on("data", take);
  proc.stderr.on("data", take);
  return dev;
}

async function running(dev, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let exited;
  dev.exit.then((e) => (exited = e));
  while (!dev.output.includes("is running")) {
    if (exited) throw new Error(`openledgerd dev exited (${JSON.stringify(exited)}) before it was running:\n${dev.output}`);
    if (Date.now() > deadline) throw new Error(`openledgerd dev was not running after ${timeoutMs / 1000} s:\n${dev.output}`);
    await sleep(250);
  }
  // The summary is printed at once after the "is running" line.
  while (!dev.output.includes("Press Ctrl-C to stop.")) await sleep(50);
}

async function stopped(dev, signal = "SIGTERM") {
  if (dev.proc.exitCode === null && dev.proc.signalCode === null) dev.proc.kill(signal);
  return dev.exit;
}

const refused = async (url) => fetch(url, { signal: AbortSignal.timeout(2000) }).then(() => false, () => true);

describe("openledgerd dev: the chain, the contracts, an attester and the gateway", { skip }, () => {
  let home, dev, key, setup, chain;

  before(async () => {
    home = mkdtempSync(join(tmpdir(), "openledger-dev-system-"));
    const started = Date.now();
    dev = startDev(join(home, "dev"));
    await running(dev, 900_000);
    console.log(`# first start (deploy, set-up, daemons ready) took ${((Date.now() - started) / 1000).toFixed(0)} s`);
    setup = JSON.parse(readFileSync(join(home, "dev", "dev-setup.json"), "utf8"));
    chain = await CosmWasmClient.connect(RPC);
  });

  after(async () => {
    chain?.disconnect();
    if (dev) await stopped(dev, "SIGKILL");
    // E2E_KEEP_HOME=1 leaves the home (and its logs) for a look after a failure.
    if (home && process.env.E2E_KEEP_HOME !== "1") rmSync(home, { recursive: true, force: true });
    else if (home) console.log(`# home kept: ${home}`);
  });

  const serveBin = () => join(dirname(BIN), "openledger-serve");
  const escrow = () => JSON.parse(readFileSync(join(home, "dev", "contracts.json"), "utf8")).contracts.attribution_escrow.address;

  test("it prints every endpoint and how to make an API key and call the gateway", () => {
    for (const want of [`CometBFT RPC  ${RPC}`, `REST (LCD)    http://127.0.0.1:${PORTS.rest}`, `gRPC          http://127.0.0.1:${PORTS.grpc}`, `Gateway       ${GATEWAY}`, `metrics http://127.0.0.1:${PORTS.metrics}/metrics`, `api-key -c ${join(home, "dev", "gateway", "config.toml")} --mnemonic "${MNEMONIC}"`, `curl http://127.0.0.1:${PORTS.serve}/v1/chat/completions`]) {
      assert.ok(dev.output.includes(want), `missing ${JSON.stringify(want)} in:\n${dev.output}`);
    }
    assert.match(dev.output, /Deploying the OpenLedger contracts/);
    assert.ok(dev.output.includes(`IPFS (kubo)   http://127.0.0.1:${PORTS.ipfs}/api/v0`), dev.output);
    assert.equal(setup.escrow.default_ask_count, 1);
  });

  test("the Datanet's rows are on the content node, recorded as ipfs://<cid> naming their sha256", async () => {
    const registry = JSON.parse(readFileSync(join(home, "dev", "contracts.json"), "utf8")).contracts.datanet_registry.address;
    const { contributions } = await chain.queryContractSmart(registry, { list_contributions: { datanet_id: setup.datanet.id, limit: 30 } });
    assert.ok(contributions.length > 0);
    const ipfs = new Ipfs(`http://127.0.0.1:${PORTS.ipfs}`);
    for (const c of contributions) {
      assert.equal(c.uri, `ipfs://${rawCid(c.content_hash)}`, JSON.stringify(c));
      const bytes = await ipfs.cat(rawCid(c.content_hash), { sha256: c.content_hash });
      assert.equal(bytes.length, Number(c.size));
    }
    // Nothing in a shared directory: the parties keep their own caches.
    assert.throws(() => readdirSync(join(home, "dev", "content")), /ENOENT/);
  });

  test("`openledgerd tx datanet contribute` registers a 5 MB .jsonl in batches, reports what it refused, resumes, and honours the daily limit", async () => {
    const registry = JSON.parse(readFileSync(join(home, "dev", "contracts.json"), "utf8")).contracts.datanet_registry.address;
    const contribute = (...args) => openledgerd(["tx", "datanet", "contribute", "--datanet", String(setup.datanet.id), ...args]);
    // ~5 MB of distinct rows, one malformed line and one repeat.
    const rowsOf = (seed, bytes) => {
      const out = [];
      let n = 0;
      for (let i = 0; n < bytes; i++) {
        const line = JSON.stringify({ id: `${seed}-${i}`, text: createHash("sha256").update(`${seed}/${i}`).digest("hex").repeat(14) });
        out.push(line);
        n += line.length + 1;
      }
      return out;
    };
    const lines = rowsOf("a", 4_990_000);
    lines.splice(10, 0, "{not json");
    lines.splice(20, 0, lines[0]);
    const file = join(home, "rows-a.jsonl");
    writeFileSync(file, lines.join("\n") + "\n");
    const t0 = Date.now();
    const first = await contribute("--json", file);
    assert.equal(first.status, 0, first.err + first.out);
    const [report] = JSON.parse(first.out);
    console.log(`# ${report.bytes} bytes, ${report.contributed.length} rows in ${report.txs.length} txs, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(report.rows, lines.length);
    assert.equal(report.contributed.length, lines.length - 2);
    assert.deepEqual(report.refused.map((r) => [r.line, r.reason.split(":")[0]]), [[11, "not a JSON value"], [21, "the same bytes as an earlier row of this file"]]);
    assert.ok(report.txs.length >= Math.ceil(report.contributed.length / 100));
    // On chain: each row's hash, size and ipfs:// uri; its bytes on the content node.
    const ipfs = devIpfs();
    for (const c of [report.contributed[0], report.contributed[1234], report.contributed.at(-1)]) {
      const info = await chain.queryContractSmart(registry, { contribution: { contribution_id: c.contribution_id } });
      const line = Buffer.from(lines[c.line - 1]);
      assert.equal(info.content_hash, sha256hex(line));
      assert.equal(Number(info.size), line.length);
      assert.equal(info.uri, c.uri);
      assert.equal(info.uri, `ipfs://${rawCid(info.content_hash)}`);
      assert.deepEqual(await ipfs.cat(rawCid(info.content_hash), { sha256: info.content_hash }), line);
    }
    // Again: everything is on chain already; nothing is sent.
    const again = JSON.parse((await contribute("--json", file)).out)[0];
    assert.equal(again.contributed.length, 0);
    assert.equal(again.already.length, report.contributed.length);
    assert.deepEqual(again.txs, []);
    // Another 5.2 MB (.txt, a row per paragraph) fits in the 10 MiB a contributor may add a
    // day; a .csv after it crosses the limit: the rows past it are refused with the reason.
    const second = join(home, "rows-b.txt");
    const paragraphs = rowsOf("b", 5_200_000);
    writeFileSync(second, paragraphs.join("\n\n"));
    const b = JSON.parse((await contribute("--json", second)).out)[0];
    assert.equal(b.contributed.length, paragraphs.length, JSON.stringify(b.refused.slice(0, 3)));
    const third = join(home, "rows-c.csv");
    writeFileSync(third, "question,answer\n" + rowsOf("c", 4_000_000).map((l, i) => `"q${i}, ""quoted""",${createHash("sha256").update(l).digest("hex")}`).join("\n"));
    const over = await contribute(third);
    assert.equal(over.status, 0, over.err + over.out);
    assert.match(over.out, /contributed \d+ of \d+ rows/);
    assert.match(over.out, /refused rows \d+..=\d+ \(lines \d+..=\d+, \d+ rows\): over today's limit of 10485760 bytes per contributor \(resets at \d{4}-\d\d-\d\d 00:00 UTC\)/);
    const csvRow = await chain.queryContractSmart(registry, { contribution: { contribution_id: Number(over.out.match(/contributions #(\d+)/)[1]) } });
    assert.deepEqual(JSON.parse(await ipfs.cat(rawCid(csvRow.content_hash), { sha256: csvRow.content_hash })), { question: 'q0, "quoted"', answer: createHash("sha256").update(rowsOf("c", 1)[0]).digest("hex") });
    // Refused whole, nothing sent: a file over the per-file limit, and one that is not UTF-8.
    const huge = join(home, "huge.jsonl");
    writeFileSync(huge, Buffer.alloc(5_242_881, "a"));
    const binary = join(home, "latin1.txt");
    writeFileSync(binary, Buffer.from("caf\xe9 au lait\n", "latin1"));
    const refused = await contribute(huge, binary);
    assert.notEqual(refused.status, 0);
    assert.match(refused.out, /huge\.jsonl[^\n]*\n  stopped: 5242881 bytes, more than the 5242880 a file may hold/);
    assert.match(refused.out, /latin1\.txt[^\n]*\n  stopped: not UTF-8 text: invalid byte at offset 3 \(line 1\)/);
  });

  test("the owner's Datanet commands: create, contribute, review, publish, grant, revoke, and the queries", async () => {
    // Bob owns this one: alice's bytes for today went to the test above.
    const cli = openledgerd;
    const asBob = (args) => (args[0] === "tx" ? [...args, "--account-index", "1"] : args);
    const ok = async (args) => {
      const r = await cli(asBob(args));
      assert.equal(r.status, 0, `openledgerd ${args.join(" ")}: ${r.err}${r.out}`);
      return r.out;
    };
    const created = await ok(["tx", "datanet", "create", "--name", "Alpine passes", "--summary", "Roads over the Alps", "--tags", "geo,alps"]);
    const id = Number(created.match(/created Datanet (\d+)/)[1]);
    const sections = ["# Brenner\nThe Brenner Pass links Innsbruck and Bolzano.", "# Gotthard\nThe Gotthard Pass links Uri and Ticino.", "# Simplon\nThe Simplon Pass links Brig and Domodossola."];
    const md = join(home, "passes.md");
    writeFileSync(md, sections.join("\n\n") + "\n");
    await ok(["tx", "datanet", "contribute", "--datanet", String(id), md]);
    const pending = (await ok(["query", "datanet", "rows", String(id), "--status", "pending"])).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(pending.length, 3);
    const [a, b, c] = pending.map((r) => r.id);
    assert.match(await ok(["tx", "datanet", "review", String(a), String(b), "--score-bps", "8000"]), new RegExp(`contribution ${a}: accepted\ncontribution ${b}: accepted`));
    assert.match(await ok(["tx", "datanet", "review", String(c), "--reject"]), new RegExp(`contribution ${c}: rejected`));
    // Alice is neither owner nor curator: refused, and the chain says why.
    const alice = await cli(["tx", "datanet", "review", String(c)]);
    assert.notEqual(alice.status, 0);
    assert.match(alice.err, /Unauthorized/);
    assert.match(await ok(["tx", "datanet", "publish", "--datanet", String(id)]), new RegExp(`Datanet ${id} v1: 2 rows, root [0-9a-f]{64}; fee \\d+ uopen`));
    const shown = JSON.parse(await ok(["query", "datanet", "show", String(id)]));
    assert.equal(shown.datanet.status, "published");
    assert.equal(shown.versions[0].leaf_count, 2);
    // A row's bytes, from IPFS, checked against the chain.
    const row = await cli(["query", "datanet", "row", String(b)]);
    assert.equal(shown.datanet.owner, "open1jrkmdcwgq94uaamx6zax2luewlhf7u4ktn5f24");
    assert.equal(row.status, 0, row.err);
    assert.equal(row.out, sections[1]);
    const CAROL = setup.attester.address; // any account
    const registry = JSON.parse(readFileSync(join(home, "dev", "contracts.json"), "utf8")).contracts.datanet_registry.address;
    await ok(["tx", "datanet", "grant", "--datanet", String(id), "--grantee", CAROL]);
    assert.equal((await chain.queryContractSmart(registry, { access: { datanet_id: id, grantee: CAROL } })).status, "granted");
    await ok(["tx", "datanet", "revoke", "--datanet", String(id), "--grantee", CAROL]);
    assert.equal((await chain.queryContractSmart(registry, { access: { datanet_id: id, grantee: CAROL } })).status, "revoked");
  });

  test("an unmodified openai client with a key from the dev mnemonic buys a chat answer; its job is in the escrow", async () => {
    const made = spawnSync(serveBin(), ["api-key", "-c", join(home, "dev", "gateway", "config.toml"), "--mnemonic", MNEMONIC], { encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
    key = made.stdout.trim();
    assert.match(key, /^olk_/);
    const creditBefore = BigInt((await chain.queryContractSmart(escrow(), { credit: { address: ALICE } })).credit);
    const openai = new OpenAI({ baseURL: GATEWAY, apiKey: key });
    const { data: res, response } = await openai.chat.completions
      .create({ model: MODEL, messages: [{ role: "user", content: "What is the capital of France?" }], max_tokens: 8, temperature: 0 })
      .withResponse();
    assert.ok(res.choices[0].message.content.length > 0);
    const jobId = res.openledger?.job;
    assert.ok(Number.isInteger(jobId), JSON.stringify(res.openledger));
    assert.equal(response.headers.get("x-openledger-job"), String(jobId));
    const { job, payment, assignments } = await chain.queryContractSmart(escrow(), { job: { job_id: jobId } });
    assert.equal(job.payer, ALICE);
    assert.equal(job.spec.model_id, setup.model.id);
    assert.equal(job.output_tokens, res.usage.completion_tokens);
    assert.equal(payment.funding, "credit");
    assert.deepEqual(assignments.map((a) => a.attester), [setup.attester.address], "one attester per job: the dev one");
    const creditAfter = BigInt((await chain.queryContractSmart(escrow(), { credit: { address: ALICE } })).credit);
    assert.equal(creditBefore - creditAfter, BigInt(job.fee), "alice's credit paid exactly the job's fee");
    // The dev attester takes the job up (it commits within a few polls).
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { assignments: [a] } = await chain.queryContractSmart(escrow(), { job: { job_id: jobId } });
      if (a.status !== "assigned") break;
      if (Date.now() > deadline) assert.fail(`the attester did not commit to job ${jobId}:\n${readFileSync(join(home, "dev", "attester.log"), "utf8").slice(-3000)}`);
      await sleep(500);
    }
  });

  /**
   * `openledgerd ARGS` against the dev chain, its contracts file and content node, signing as the
   * dev mnemonic: `{ status, out, err }`. Not blocking the event loop (a spawnSync would leave the
   * shared client's pooled connections to a node that closed them meanwhile).
   */
  const openledgerd = (args) =>
    new Promise((ok) => {
      const p = spawn(BIN, [...args, "--node", RPC, "--contracts", join(home, "dev", "contracts.json")], { env: { ...process.env, OPENLEDGER_MNEMONIC: MNEMONIC, OPENLEDGER_IPFS_API: `http://127.0.0.1:${PORTS.ipfs}` } });
      const out = [];
      const err = [];
      p.stdout.on("data", (d) => out.push(d));
      p.stderr.on("data", (d) => err.push(d));
      p.on("exit", (status) => ok({ status, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() }));
    });

  /** A counter of the dev attester's /metrics. */
  const metric = async (name) => {
    const text = await (await fetch(`http://127.0.0.1:${PORTS.metrics}/metrics`)).text();
    const m = text.match(new RegExp(`^openledger_attester_${name} (\\d+)$`, "m"));
    assert.ok(m, `openledger_attester_${name} in:\n${text}`);
    return Number(m[1]);
  };
  const sha256hex = (bytes) => createHash("sha256").update(bytes).digest("hex");
  /** A file in the attester's own cache (what it reads without asking IPFS). */
  const contentFile = (bytes) => join(home, "dev", "attester", "content", sha256hex(bytes));
  const devIpfs = () => new Ipfs(`http://127.0.0.1:${PORTS.ipfs}`);
  const cw20Balance = async (address) => BigInt((await chain.queryContractSmart(contracts().open_token.address, { balance: { address } })).balance);
  const contracts = () => JSON.parse(readFileSync(join(home, "dev", "contracts.json"), "utf8")).contracts;
  const jobOf = (jobId) => chain.queryContractSmart(escrow(), { job: { job_id: jobId } });
  /** Alice pays for attribution herself (native OPEN wrapped, then sent with request_job): the job's id and fee. */
  async function requestJob(input, output) {
    const signer = await SigningCosmWasmClient.connectWithSigner(RPC, await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: PREFIX }), CLIENT_OPTS);
    try {
      const tokens = { input_tokens: 12, output_tokens: 8 };
      const { fee } = await chain.queryContractSmart(escrow(), { quote_fee: { model_id: setup.model.id, ...tokens } });
      const token = contracts().open_token.address;
      await signer.execute(ALICE, token, { deposit: {} }, "auto", "", [{ denom: DENOM, amount: fee }]);
      const request = { request_job: { model_id: setup.model.id, method: "suffix_span", input_hash: sha256hex(input), output_hash: sha256hex(output), ...tokens, ask_count: 1 } };
      const res = await signer.execute(ALICE, token, { send: { contract: escrow(), amount: fee, msg: Buffer.from(JSON.stringify(request)).toString("base64") } }, "auto");
      const id = res.events.flatMap((e) => e.attributes).find((a) => a.key === "job_id")?.value;
      assert.ok(id, JSON.stringify(res.events));
      return { jobId: Number(id), fee: BigInt(fee) };
    } finally {
      signer.disconnect();
    }
  }
  /** The job once it is over (settled, or ended another way). */
  async function ended(jobId) {
    const attesterLog = () => readFileSync(join(home, "dev", "attester.log"), "utf8").slice(-3000);
    return waitFor(
      async () => {
        const r = await jobOf(jobId);
        return ["settled", "failed", "expired", "inputs_unavailable", "rejected"].includes(r.job.status) && r;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: `job ${jobId} to end` },
    ).catch((e) => assert.fail(`${e.message}\n${attesterLog()}`));
  }

  test("an answer stored only after its job opened is still attributed: the attester looks again while the commit window allows", async () => {
    // Alone with the attester: the gateway's job above is over first.
    const bought = (await chain.queryContractSmart(escrow(), { list_jobs: { limit: 10 } })).jobs ?? [];
    for (const j of bought) await ended(j.id);
    const input = Buffer.from("What is the capital of France?");
    const output = Buffer.from("The capital of France is Paris, the City of Light.");
    await devIpfs().add(input);
    const pendingBefore = await metric("inputs_pending_total");
    const { jobId } = await requestJob(input, output);
    await waitFor(async () => (await metric("inputs_pending_total")) > pendingBefore, { timeoutMs: 30_000, intervalMs: 100, what: "the attester to find the answer missing" });
    const { assignments: [waiting] } = await jobOf(jobId);
    assert.equal(waiting.status, "assigned", "nothing committed while the answer is missing");
    // The answer reaches IPFS late (as a slow gateway's would): the attester finds it there.
    await devIpfs().add(output);
    const { job } = await ended(jobId);
    assert.equal(job.status, "settled", JSON.stringify(job));
    assert.notEqual(job.result.result_hash, sha256hex(Buffer.from("openledger/attestation/inputs-unavailable/v1")), "a real result, not \"inputs unavailable\"");
    assert.ok(job.result.weights_bps.length > 0, `the answer is attributed to the dev Datanet: ${JSON.stringify(job.result)}`);
    assert.deepEqual(readFileSync(contentFile(output)), output, "kept in the attester's cache once fetched and verified");
  });

  test("a job over the escrow's max_job_bytes ends \"inputs unavailable\" unread: nobody is slashed, the payer loses the platform fee", async () => {
    const { params } = await chain.queryContractSmart(escrow(), { config: {} });
    const input = Buffer.from("Write me a very long answer.");
    const output = Buffer.alloc(params.max_job_bytes + 1, "a");
    writeFileSync(contentFile(input), input);
    writeFileSync(contentFile(output), output);
    const before = { unavailable: await metric("inputs_unavailable_total"), alice: await cw20Balance(ALICE) };
    const { jobId, fee } = await requestJob(input, output);
    const { job, assignments } = await ended(jobId);
    assert.equal(job.status, "inputs_unavailable", JSON.stringify(job));
    assert.equal(await metric("inputs_unavailable_total"), before.unavailable + 1);
    assert.equal(assignments[0].status, "in_quorum", "the attester's verdict was the quorum's");
    const registry = contracts().attester_registry.address;
    const info = await chain.queryContractSmart(registry, { attester: { operator: setup.attester.address } });
    assert.equal(info.status, "active", JSON.stringify(info));
    assert.equal(info.slashed_total, "0");
    // Alice wrapped the fee (+fee) and sent it (−fee); all but the platform fee came back.
    assert.equal(await cw20Balance(ALICE), before.alice + fee - BigInt(job.platform_fee));
    rmSync(contentFile(output));
  });

  test("SIGTERM (Ctrl-C) stops the gateway, the attester, the content node and the chain, and exits 0", async () => {
    const { code } = await stopped(dev);
    assert.equal(code, 0, dev.output);
    assert.match(dev.output, /stopping: the gateway, then the attester[\s\S]*stopping: REST and gRPC first[\s\S]*stopped\./);
    for (const url of [`${RPC}/status`, `${GATEWAY}/models`, `http://127.0.0.1:${PORTS.metrics}/metrics`, `http://127.0.0.1:${PORTS.ipfs}/api/v0/id`]) assert.ok(await refused(url), `${url} still answers`);
  });

  test("a restart keeps the contracts and the set-up, and serves again", async () => {
    dev = startDev(join(home, "dev"));
    await running(dev, 300_000);
    assert.match(dev.output, /Contracts: kept from an earlier start/);
    assert.doesNotMatch(dev.output, /Deploying/);
    assert.match(dev.output, /attester open1\w+: registered and bonded \(already\)/);
    assert.match(dev.output, /gateway operator open1\w+: registered and bonded \(already\)/);
    const again = JSON.parse(readFileSync(join(home, "dev", "dev-setup.json"), "utf8"));
    assert.equal(again.model.id, setup.model.id);
    const models = await new OpenAI({ baseURL: GATEWAY, apiKey: key }).models.list();
    assert.deepEqual(models.data.map((m) => m.id), [MODEL]);
  });

  test("a child that dies stops the system: dev exits non-zero, naming it, with the end of its log", async () => {
    const serve = childPids(dev.proc.pid).find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("openledger-serve"));
    assert.ok(serve, "the gateway is a child of openledgerd dev");
    process.kill(serve, "SIGKILL");
    const { code } = await dev.exit;
    assert.notEqual(code, 0);
    assert.match(dev.output, /openledger-serve exited unexpectedly \(signal: 9/);
    assert.match(dev.output, /the end of .*serve\.log/);
    for (const url of [`${RPC}/status`, `http://127.0.0.1:${PORTS.metrics}/metrics`]) assert.ok(await refused(url), `${url} still answers`);
  });
});

/** Direct children of a process: the /proc entries whose parent it is (Linux). */
function childPids(pid) {
  const out = [];
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid …"; comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid === pid) out.push(Number(entry));
  }
  return out;
}

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
    if (home) rmSync(home, { recursive: true, force: true });
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

// Buying answers through the OpenAI API: the unmodified `openai` npm package (only baseURL and
// apiKey set) against `openledger-serve` on the chain the lifecycle story left behind, with that
// story's two honest attester daemons started again and a third registered. A payer deposits native
// uopen as inference credit, makes an API key from his mnemonic, lists the models, and buys one
// whole and one streamed chat answer. Each answer's job is opened by the gateway from his credit
// (exactly the escrow's quote for the tokens the usage reports), attributed by three attesters and
// settled; the gateway's receipt shows it. A stream the client abandons is charged for the tokens
// it was sent. Refusals: no key (401), a key of an account without
// credit (402), an unknown model (404).
//
// Needs OPENLEDGER_RPC, OPENLEDGER_CONTRACTS, OPENLEDGER_RECEIPT (the lifecycle receipt: the model
// id), OPENLEDGER_DEMO_HOME (attester homes and their IPFS repos), OPENLEDGER_SERVE_BIN,
// OPENLEDGER_ATTESTER_BIN and OPENLEDGER_MODEL (scripts/e2e-dev.sh sets them).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import OpenAI from "openai";
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { Secp256k1 } from "@cosmjs/crypto";
import { toBech32, toHex } from "@cosmjs/encoding";
import { rawSecp256k1PubkeyToRawAddress } from "@cosmjs/amino";

import { kuboBinary, startKubo } from "../../clients/ts/ipfs.mjs";
import { RPC, REQUIRED, MNEMONIC, PREFIX, DENOM, CLIENT_OPTS, sleep } from "./chain-env.mjs";

const env = (k) => process.env[k];
const NEEDED = ["OPENLEDGER_CONTRACTS", "OPENLEDGER_RECEIPT", "OPENLEDGER_DEMO_HOME", "OPENLEDGER_SERVE_BIN", "OPENLEDGER_ATTESTER_BIN", "OPENLEDGER_MODEL"];
const missing = NEEDED.filter((k) => !env(k));
const skip = missing.length ? `${missing.join(", ")} not set (scripts/e2e-dev.sh runs this)` : false;
if (skip && REQUIRED) throw new Error(skip);

const PORT = Number(env("OPENLEDGER_SERVE_PORT") ?? 17800);
const BASE = `http://127.0.0.1:${PORT}/v1`;
const MODEL = "smollm2-geo";
const CREDIT = 2_000_000n;
const over = (s) => ["settled", "failed", "expired", "inputs_unavailable", "rejected"].includes(s);
// result_hash of the attesters' canonical "inference rejected" verdicts.
const rejectedHash = (reason) => createHash("sha256").update(`openledger/attestation/rejected/${reason}/v1`).digest("hex");

async function until(fn, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(500);
  }
}

describe("inference bought through the OpenAI API, paid from credit, attributed and settled", { skip }, () => {
  const children = [];
  let client, deployer, escrow, registry, modelId, modelOwner, ownerBefore, params, home, payer, apiKey, openai, logs, liars;
  const q = (msg) => client.queryContractSmart(escrow, msg);
  const credit = async (address) => BigInt((await q({ credit: { address } })).credit);

  before(async () => {
    const receipt = JSON.parse(readFileSync(env("OPENLEDGER_RECEIPT"), "utf8"));
    modelId = receipt.model.id;
    modelOwner = receipt.model.owner;
    const deployment = JSON.parse(readFileSync(env("OPENLEDGER_CONTRACTS"), "utf8"));
    escrow = deployment.contracts.attribution_escrow.address;
    const demo = env("OPENLEDGER_DEMO_HOME");
    home = join(demo, "gateway");
    mkdirSync(home, { recursive: true });
    logs = [];

    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: PREFIX });
    [{ address: deployer }] = await wallet.getAccounts();
    client = await SigningCosmWasmClient.connectWithSigner(RPC, wallet, CLIENT_OPTS);

    // The lifecycle's two honest attesters, from their own homes (its liar is jailed), and a
    // third that registers now: three eligible, as every job asks.
    const attester = env("OPENLEDGER_ATTESTER_BIN");
    const run = (args) => {
      const r = spawnSync(attester, args, { encoding: "utf8", env: { ...process.env, RUST_LOG: "warn" } });
      assert.equal(r.status, 0, `openledger-attester ${args[0]}: ${r.stderr}${r.stdout}`);
      return r.stdout.trim();
    };
    const chainId = await client.getChainId();
    // Content moves over IPFS, as in the lifecycle: the lifecycle's attesters get their own
    // nodes back (their repos hold the rows they fetched then; a new RPC port each), the new
    // attester and the gateways one each, all peered.
    const kubo = kuboBinary();
    const nodes = [];
    const node = async (repo) => {
      const n = await startKubo({ bin: kubo, repo });
      children.push(n.proc);
      for (const other of nodes) await n.ipfs.connect(other.multiaddr);
      nodes.push(n);
      return n;
    };
    for (const i of [1, 2]) {
      const n = await node(join(demo, `attester-${i}`, "ipfs"));
      const config = join(demo, `attester-${i}`, "config.toml");
      writeFileSync(config, readFileSync(config, "utf8").replace(/^ipfs_api = .*$/m, `ipfs_api = "${n.api}"`));
    }
    const thirdNode = await node(join(home, "ipfs-attester-4"));
    const gatewayNode = await node(join(home, "ipfs-gateways"));
    const third = join(home, "attester-4");
    const thirdAddress = run(["init", "--home", third, "--chain-id", chainId, "--rpc", RPC, "--contracts", env("OPENLEDGER_CONTRACTS"), "--content-dir", join(third, "content"), "--ipfs-api", thirdNode.api, "--model", env("OPENLEDGER_MODEL"), "--metrics-addr", "127.0.0.1:20464"]);
    await client.sendTokens(deployer, thirdAddress, [{ denom: DENOM, amount: "50000000" }], "auto");
    run(["register", "-c", join(third, "config.toml"), "--bond", "1000000", "--backend", "wgpu"]);
    for (const config of [join(demo, "attester-1", "config.toml"), join(demo, "attester-2", "config.toml"), join(third, "config.toml")]) {
      assert.ok(existsSync(config), `${config} (the first two left by scripts/demo.sh)`);
      start(attester, ["run", "-c", config], `${config}.log`);
    }

    // A gateway: a fresh operator account key in the attester key-file format, funded for gas,
    // registered and bonded in the attester registry (what lets it charge credit), then started.
    // `testing` makes it cheat on purpose (the liars below).
    const gatewayAt = async (dir, port, testing = []) => {
      mkdirSync(dir, { recursive: true });
      const secret = randomBytes(32);
      const { pubkey } = await Secp256k1.makeKeypair(secret);
      const operator = toBech32(PREFIX, rawSecp256k1PubkeyToRawAddress(Secp256k1.compressPubkey(pubkey)));
      writeFileSync(join(dir, "keys.json"), JSON.stringify({ secp256k1: toHex(secret), ed25519: toHex(randomBytes(32)) }), { mode: 0o600 });
      await client.sendTokens(deployer, operator, [{ denom: DENOM, amount: "50000000" }], "auto");
      const config = join(dir, "config.toml");
      writeFileSync(
        config,
        [
          `listen = "127.0.0.1:${port}"`,
          `chain_id = "${chainId}"`,
          `content_dir = "${join(dir, "content")}"`,
          `ipfs_api = "${gatewayNode.api}"`,
          "",
          "[chain]",
          `rpc = "${RPC}"`,
          `contracts = "${env("OPENLEDGER_CONTRACTS")}"`,
          `key_file = "keys.json"`,
          "",
          "[[models]]",
          `name = "${MODEL}"`,
          `path = "${env("OPENLEDGER_MODEL")}"`,
          `registry_id = ${modelId}`,
          "",
          ...(testing.length ? ["[testing]", ...testing.map((t) => `${t} = true`), ""] : []),
        ].join("\n"),
      );
      const r = spawnSync(env("OPENLEDGER_SERVE_BIN"), ["register", "-c", config, "--bond", "1000000"], { encoding: "utf8", env: { ...process.env, RUST_LOG: "warn" } });
      assert.equal(r.status, 0, `openledger-serve register: ${r.stderr}${r.stdout}`);
      start(env("OPENLEDGER_SERVE_BIN"), ["run", "-c", config], join(dir, "serve.log"));
      return { operator, config, base: `http://127.0.0.1:${port}/v1` };
    };
    const honest = await gatewayAt(home, PORT);
    liars = [
      { cheat: "under_report_tokens", rejection: "token-count", ...(await gatewayAt(join(demo, "gateway-liar-1"), PORT + 1, ["under_report_tokens"])) },
      { cheat: "forge_output", rejection: "output", ...(await gatewayAt(join(demo, "gateway-liar-2"), PORT + 2, ["forge_output"])) },
    ];
    for (const g of [honest, ...liars]) {
      await until(async () => (await fetch(g.base.replace(/\/v1$/, "/ready"))).ok, `${g.base}'s /ready`, 180_000);
    }
    registry = deployment.contracts.attester_registry.address;

    // The payer: a fresh account, funded, with native uopen deposited as inference credit.
    const payerWallet = await DirectSecp256k1HdWallet.generate(12, { prefix: PREFIX });
    const [{ address }] = await payerWallet.getAccounts();
    await client.sendTokens(deployer, address, [{ denom: DENOM, amount: String(CREDIT + 1_000_000n) }], "auto");
    const payerClient = await SigningCosmWasmClient.connectWithSigner(RPC, payerWallet, CLIENT_OPTS);
    await payerClient.execute(address, escrow, { deposit_credit: {} }, "auto", undefined, [{ denom: DENOM, amount: String(CREDIT) }]);
    payer = { address, mnemonic: payerWallet.mnemonic };
    apiKey = makeKey(payer.mnemonic);
    openai = new OpenAI({ baseURL: BASE, apiKey });
    params = (await q({ config: {} })).params;
    ownerBefore = BigInt((await q({ balance: { address: modelOwner } })).balance);
  });

  after(() => {
    for (const c of children) c.kill("SIGTERM");
  });

  function start(bin, args, log) {
    const p = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "info" } });
    const out = [];
    p.stdout.on("data", (d) => out.push(d));
    p.stderr.on("data", (d) => out.push(d));
    p.on("exit", () => writeFileSync(log, Buffer.concat(out)));
    children.push(p);
    logs.push({ log, out });
    return p;
  }

  function makeKey(mnemonic, config = join(home, "config.toml")) {
    const r = spawnSync(env("OPENLEDGER_SERVE_BIN"), ["api-key", "-c", config, "--expires", "1h"], {
      encoding: "utf8",
      env: { ...process.env, OPENLEDGER_MNEMONIC: mnemonic, RUST_LOG: "warn" },
    });
    assert.equal(r.status, 0, r.stderr);
    const key = r.stdout.trim();
    assert.match(key, /^olk_[A-Za-z0-9_-]+$/);
    return key;
  }

  async function jobOf(id) {
    return q({ job: { job_id: id } });
  }

  const answers = [];

  test("models.list names the registered model", async () => {
    const list = await openai.models.list();
    const ids = list.data.map((m) => m.id);
    assert.deepEqual(ids, [MODEL]);
    assert.equal(list.data[0].openledger.registry_id, modelId);
  });

  test("a whole chat answer opens its job, charging exactly the quote for its usage", async () => {
    const before = await credit(payer.address);
    const { data: res, response } = await openai.chat.completions
      .create({
        model: MODEL,
        messages: [{ role: "user", content: "What is the capital of France?" }],
        max_tokens: 24,
        temperature: 0,
      })
      .withResponse();
    assert.equal(res.object, "chat.completion");
    assert.ok(res.choices[0].message.content.length > 0);
    const job = res.openledger.job;
    assert.ok(Number.isInteger(job), JSON.stringify(res.openledger));
    const quote = await q({ quote_fee: { model_id: modelId, input_tokens: res.usage.prompt_tokens, output_tokens: res.usage.completion_tokens } });
    const { job: info, payment } = await jobOf(job);
    assert.equal(response.headers.get("x-openledger-job"), String(job));
    assert.equal(info.fee, quote.fee);
    assert.equal(info.input_tokens, res.usage.prompt_tokens);
    assert.equal(info.output_tokens, res.usage.completion_tokens);
    assert.equal(info.payer, payer.address);
    assert.equal(payment.funding, "credit");
    assert.equal(await credit(payer.address), before - BigInt(quote.fee), "credit drops by exactly the on-chain fee");
    answers.push({ job, text: res.choices[0].message.content, fee: quote.fee, platform: quote.platform_fee });
  });

  test("a streamed chat answer ends with [DONE] and carries its job in the last chunk", async () => {
    const before = await credit(payer.address);
    const stream = await openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "What is the capital of Spain?" }],
      max_tokens: 24,
      temperature: 0,
      stream: true,
    });
    let text = "";
    let last;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      last = chunk;
    }
    assert.ok(text.length > 0);
    assert.ok(last.choices[0].finish_reason, "the last chunk has a finish_reason");
    const job = last.openledger.job;
    assert.ok(Number.isInteger(job), JSON.stringify(last.openledger));
    const { job: info } = await jobOf(job);
    const quote = await q({ quote_fee: { model_id: modelId, input_tokens: last.usage.prompt_tokens, output_tokens: last.usage.completion_tokens } });
    assert.equal(info.fee, quote.fee);
    assert.equal(await credit(payer.address), before - BigInt(quote.fee));
    answers.push({ job, text, fee: quote.fee, platform: quote.platform_fee });
  });

  test("a stream the client abandons is charged for the tokens it was sent, not for max_tokens", async () => {
    const before = await credit(payer.address);
    const { jobs: [newest] = [] } = await q({ list_jobs: { limit: 30, start_after: answers.at(-1).job } });
    assert.equal(newest, undefined, "no job after the streamed one yet");
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: MODEL, messages: [{ role: "user", content: "Write a long story about a dragon." }], max_tokens: 200, temperature: 0, stream: true },
      { signal: controller.signal },
    );
    let received = 0;
    let finished;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) received += 1;
        if (chunk.choices[0]?.finish_reason) finished = chunk.choices[0].finish_reason;
        if (received === 3) controller.abort();
      }
    } catch (e) {
      // The SDK either ends the iteration or throws its abort error: both are a hang-up.
      assert.match(e.name ?? "", /Abort/, `${e}`);
    }
    assert.equal(received, 3);
    assert.equal(finished, undefined, "the answer did not end by itself");
    const job = await until(async () => (await q({ list_jobs: { start_after: answers.at(-1).job } })).jobs[0], "the abandoned answer's job", 60_000);
    assert.equal(job.payer, payer.address);
    assert.ok(job.output_tokens >= 3 && job.output_tokens < 200, `charged ${job.output_tokens} output tokens`);
    const quote = await q({ quote_fee: { model_id: modelId, input_tokens: job.input_tokens, output_tokens: job.output_tokens } });
    assert.equal(job.fee, quote.fee);
    assert.equal(await credit(payer.address), before - BigInt(quote.fee));
    console.log(`# abandoned after 3 chunks received: job ${job.id} charged ${job.output_tokens} of max_tokens 200 (fee ${job.fee} uopen)`);
    answers.push({ job: job.id, fee: quote.fee, platform: quote.platform_fee, abandoned: true });
  });

  test("refusals are the OpenAI SDK's errors: no key 401, no credit 402, unknown model 404", async () => {
    const noKey = new OpenAI({ baseURL: BASE, apiKey: "sk-not-an-openledger-key", maxRetries: 0 });
    await assert.rejects(noKey.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }] }), (e) => e.status === 401);
    const broke = await DirectSecp256k1HdWallet.generate(12, { prefix: PREFIX });
    const poor = new OpenAI({ baseURL: BASE, apiKey: makeKey(broke.mnemonic), maxRetries: 0 });
    await assert.rejects(poor.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }], max_tokens: 4 }), (e) => e.status === 402 && /credit/.test(e.message));
    await assert.rejects(openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }), (e) => e.status === 404);
  });

  test("every job is attributed by three attesters and settles; the gateway's receipt shows each", async () => {
    assert.equal(answers.length, 3);
    const done = await until(
      async () => {
        const all = await Promise.all(answers.map((a) => jobOf(a.job)));
        return all.every((r) => over(r.job.status)) && all;
      },
      `jobs ${answers.map((a) => a.job).join(", ")} to end`,
      300_000,
    ).catch((e) => {
      for (const { log, out } of logs) console.error(`--- ${log}\n${Buffer.concat(out).toString().split("\n").slice(-30).join("\n")}`);
      throw e;
    });
    for (const [i, r] of done.entries()) {
      assert.equal(r.job.status, "settled", `job ${answers[i].job}: ${JSON.stringify(r.job)}`);
      assert.equal(r.assignments.length, 3);
      const receipt = await (await fetch(`${BASE}/receipts/${answers[i].job}`)).json();
      assert.equal(receipt.status, "settled");
      if (!answers[i].abandoned) assert.equal(receipt.answer, answers[i].text, "the stored answer is the one served");
      assert.equal(receipt.escrow.job.fee, answers[i].fee);
      // What each party was paid, from the settlement itself, and the txs behind it.
      assert.match(receipt.txs.request ?? "", /^[0-9A-F]{64}$/, JSON.stringify(receipt.txs));
      assert.match(receipt.txs.settle ?? "", /^[0-9A-F]{64}$/, JSON.stringify(receipt.txs));
      const { payouts } = receipt;
      assert.equal(payouts.model_owner.address, modelOwner);
      assert.equal(BigInt(payouts.model_owner.amount), ((BigInt(answers[i].fee) - BigInt(answers[i].platform)) * BigInt(params.beta_bps)) / 10_000n);
      assert.deepEqual([...payouts.attesters.addresses].sort(), r.assignments.filter((a) => a.status === "in_quorum").map((a) => a.attester).sort());
      const rows = payouts.contributors.contributions.reduce((t, c) => t + BigInt(c.amount), 0n);
      assert.equal(rows + BigInt(payouts.contributors.pooled), BigInt(payouts.contributors.amount), "the contributors' share is the rows paid plus the version pool");
      assert.equal(payouts.platform_fee, answers[i].platform);
    }
    // The model owner is credited β of each job's net fee (floored), as for a CW20-paid job.
    const beta = answers.reduce((t, a) => t + ((BigInt(a.fee) - BigInt(a.platform)) * BigInt(params.beta_bps)) / 10_000n, 0n);
    assert.ok(beta > 0n);
    assert.equal(BigInt((await q({ balance: { address: modelOwner } })).balance) - ownerBefore, beta);
  });

  test("a gateway charging for fewer tokens than it served, or for an answer the model did not give, is caught: job rejected, payer refunded in full, gateway slashed and jailed", async () => {
    // Their own payer, so the honest answers' credit checks above stay exact.
    const wallet = await DirectSecp256k1HdWallet.generate(12, { prefix: PREFIX });
    const [{ address }] = await wallet.getAccounts();
    await client.sendTokens(deployer, address, [{ denom: DENOM, amount: String(CREDIT + 1_000_000n) }], "auto");
    const own = await SigningCosmWasmClient.connectWithSigner(RPC, wallet, CLIENT_OPTS);
    await own.execute(address, escrow, { deposit_credit: {} }, "auto", undefined, [{ denom: DENOM, amount: String(CREDIT) }]);
    for (const liar of liars) {
      liar.sdk = new OpenAI({ baseURL: liar.base, apiKey: makeKey(wallet.mnemonic, liar.config), maxRetries: 0 });
      const res = await liar.sdk.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "What is the capital of Italy?" }],
        max_tokens: 12,
        temperature: 0,
      });
      liar.job = res.openledger.job;
      assert.ok(Number.isInteger(liar.job), JSON.stringify(res.openledger));
      const { job } = await jobOf(liar.job);
      if (liar.cheat === "under_report_tokens") assert.equal(job.output_tokens, res.usage.completion_tokens - 1, "it charged one token fewer than it served");
    }
    assert.ok((await credit(address)) < CREDIT, "both answers were charged");
    const done = await until(
      async () => {
        const all = await Promise.all(liars.map((l) => jobOf(l.job)));
        return all.every((r) => over(r.job.status)) && all;
      },
      `the liars' jobs ${liars.map((l) => l.job).join(", ")} to end`,
      300_000,
    ).catch((e) => {
      for (const { log, out } of logs) console.error(`--- ${log}\n${Buffer.concat(out).toString().split("\n").slice(-30).join("\n")}`);
      throw e;
    });
    for (const [i, r] of done.entries()) {
      const liar = liars[i];
      assert.equal(r.job.status, "rejected", `${liar.cheat}: ${JSON.stringify(r.job)}`);
      assert.equal(r.job.result.result_hash, rejectedHash(liar.rejection), `${liar.cheat} is rejected for its ${liar.rejection}`);
      assert.equal(r.assignments.length, 3);
      assert.ok(r.assignments.every((a) => a.status === "in_quorum"), JSON.stringify(r.assignments));
      const info = await client.queryContractSmart(registry, { attester: { operator: liar.operator } });
      assert.equal(info.slashed_total, String((1_000_000n * BigInt(params.slash_gateway_bps)) / 10_000n), `${liar.cheat}'s bond is slashed`);
      assert.ok(info.status.jailed, `${liar.cheat} is jailed: ${JSON.stringify(info.status)}`);
      console.log(`# ${liar.cheat}: job ${liar.job} rejected (${liar.rejection}), gateway ${liar.operator} slashed ${info.slashed_total} uopen and jailed`);
    }
    assert.equal(await credit(address), CREDIT, "the payer got every fee back");
    // A jailed gateway cannot charge, so it answers nothing (503, saying why) instead of
    // giving answers away; the chain would refuse their jobs too.
    await sleep(11_000); // its cached standing (10 s) is read again
    await assert.rejects(
      liars[1].sdk.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }], max_tokens: 2, temperature: 0 }),
      (e) => e.status === 503 && /jailed/.test(e.message),
    );
    assert.equal(await credit(address), CREDIT);
  });

  test("with fewer eligible attesters than the escrow assigns, the gateway answers 503 attesters_unavailable, saying why, and charges nothing", async () => {
    // The third attester unbonds its whole bond: below min_bond it is inactive, two remain.
    const third = join(home, "attester-4", "config.toml");
    const r = spawnSync(env("OPENLEDGER_ATTESTER_BIN"), ["unbond", "-c", third, "--amount", "1000000"], { encoding: "utf8", env: { ...process.env, RUST_LOG: "warn" } });
    assert.equal(r.status, 0, `openledger-attester unbond: ${r.stderr}${r.stdout}`);
    const eligible = await client.queryContractSmart(registry, { eligible: { method: "suffix_span", model_hash: null } });
    assert.ok(eligible.attesters.length < params.default_ask_count, JSON.stringify(eligible));
    const before = await credit(payer.address);
    await sleep(11_000); // the gateway's cached count (10 s) is read again
    const sdk = new OpenAI({ baseURL: BASE, apiKey, maxRetries: 0 });
    await assert.rejects(
      sdk.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }], max_tokens: 2, temperature: 0 }),
      (e) => e.status === 503 && e.code === "attesters_unavailable" && new RegExp(`assigns every job to ${params.default_ask_count} attesters, and ${eligible.attesters.length} are eligible`).test(e.message),
    );
    assert.equal(await credit(payer.address), before, "nothing charged");
  });
});

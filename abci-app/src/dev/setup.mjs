// `openledgerd dev`'s set-up of a chain whose contracts clients/ts/deploy.mjs deployed: what the
// AI side needs on one machine. abci-app/src/dev/system.rs runs it on every start; each step
// reads the chain first and does only what is missing, so a restart repeats nothing and a
// start with more parts on (no --no-serve this time) adds only theirs.
//
//   1. the attester and the gateway operator are funded with uopen for gas (from alice);
//   2. jobs ask one attester (escrow default_ask_count 1), through the DAO the deployer handed
//      the timelock to: alice stakes OPEN in dao-stake (the only member), proposes, executes;
//   3. a Datanet from scripts/demo/corpus.json is published and the dev model registered on it
//      (RegisterModel names at least one published Datanet version), with prices; its rows are
//      added to the content node (--ipfs-api, recorded as ipfs://<cid>) or, without one, written
//      to the shared --content-dir;
//   4. alice and bob get inference credit (DepositCredit, native uopen).
//
// It writes what it set up to --state (JSON) for system.rs, with the attester's and the
// gateway's standing in the attester registry: system.rs registers and bonds each with its own
// CLI (`openledger-attester register`, `openledger-serve register`, which registers a gateway
// with no methods) when it is not bonded yet. Progress goes to stdout, one line per step. Node
// resolves this file's imports from clients/ts, whose packages it uses.
import { createHash, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { DEV_MNEMONIC, GAS_PRICE } from "../../../clients/ts/dev-chain.mjs";
import { Ipfs } from "../../../clients/ts/ipfs.mjs";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
// This file is in no npm package: take cosmjs from the one clients/ts installed.
const require = createRequire(join(repo, "clients/ts/package.json"));
const { SigningCosmWasmClient } = require("@cosmjs/cosmwasm-stargate");
const { DirectSecp256k1HdWallet, DirectSecp256k1Wallet } = require("@cosmjs/proto-signing");
const { makeCosmoshubPath } = require("@cosmjs/amino");

const { values: opts } = parseArgs({
  options: {
    rpc: { type: "string" },
    contracts: { type: "string" },
    home: { type: "string" },
    model: { type: "string" },
    "model-name": { type: "string", default: "smollm2-135m-instruct" },
    state: { type: "string" },
    "attester-config": { type: "string" },
    "gateway-keys": { type: "string" },
    "ipfs-api": { type: "string" },
    "content-dir": { type: "string" },
  },
});
for (const k of ["rpc", "contracts", "home", "model", "state"]) if (!opts[k]) fail(`--${k} is required`);
if (!opts["ipfs-api"] === !opts["content-dir"]) fail("give one of --ipfs-api and --content-dir: where the Datanet rows go");

const OPEN = 1_000_000n; // uopen per OPEN
// Gas money for each daemon: a gateway pays one RequestJobWithCredit tx per batch of answers.
const GAS_FUND = 100n * OPEN;
const DAO_STAKE = 1n * OPEN; // alice's governance weight (dao-stake min_bond 1000)
const CREDIT = 100n * OPEN; // inference credit alice and bob are topped up to
const CREDIT_LOW = 10n * OPEN; // below this a start tops it up again
// Per 1 000 tokens: a 30-token question with a 32-token answer costs ≈ 0.001 OPEN + the
// escrow's platform fee.
const PRICE_IN_PER_1K = "10000";
const PRICE_OUT_PER_1K = "20000";

const deployment = JSON.parse(readFileSync(opts.contracts, "utf8"));
const addr = Object.fromEntries(Object.entries(deployment.contracts).map(([k, v]) => [k, v.address]));
const state = existsSync(opts.state) ? JSON.parse(readFileSync(opts.state, "utf8")) : {};
if (state.chain_id && state.chain_id !== deployment.chain_id) fail(`${opts.state} is for chain ${state.chain_id}, the contracts for ${deployment.chain_id}`);
state.chain_id = deployment.chain_id;
const ipfs = opts["ipfs-api"] ? new Ipfs(opts["ipfs-api"]) : null;
const contentDir = opts["content-dir"];
if (contentDir) mkdirSync(contentDir, { recursive: true });

process.on("unhandledRejection", (e) => fail(e?.message ?? String(e)));

const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, {
  prefix: "open",
  hdPaths: [makeCosmoshubPath(0), makeCosmoshubPath(1)],
});
const [{ address: alice }, { address: bob }] = await wallet.getAccounts();
const connect = (w) => SigningCosmWasmClient.connectWithSigner(opts.rpc, w, { gasPrice: GAS_PRICE, broadcastPollIntervalMs: 300 });
const client = await connect(wallet);
const chainId = await client.getChainId();
if (chainId !== deployment.chain_id) fail(`${opts.contracts} is for chain ${deployment.chain_id}, the node runs ${chainId}`);

const q = (contract, msg) => client.queryContractSmart(contract, msg);
const b64json = (v) => Buffer.from(JSON.stringify(v)).toString("base64");
const exec = (contract, msg, funds = []) => ({ contractAddress: contract, msg, funds });
const uopen = (amount) => [{ denom: "uopen", amount: String(amount) }];
// OPEN is CW20 wrapping uopen: hooks (bonds, fees) take it wrapped.
const wrap = (amount) => exec(addr.open_token, { deposit: {} }, uopen(amount));
const sendOpen = (contract, amount, hook) => exec(addr.open_token, { send: { contract, amount: String(amount), msg: b64json(hook) } });
const wasmMsg = (contract, msg) => ({ wasm: { execute: { contract_addr: contract, msg: b64json(msg), funds: [] } } });

/** Every value of `key` in the tx's wasm events, in order. */
function attrs(res, key) {
  return res.events
    .filter((e) => e.type.startsWith("wasm"))
    .flatMap((e) => e.attributes)
    .filter((a) => a.key === key)
    .map((a) => a.value);
}

async function notFound(query) {
  try {
    await query();
    return false;
  } catch (e) {
    if (/not found/i.test(e.message)) return true;
    throw e;
  }
}

function saveState() {
  writeFileSync(`${opts.state}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${opts.state}.tmp`, opts.state);
}

const say = (text) => console.log(text);
function fail(message) {
  console.error(`dev setup: ${message}`);
  process.exit(1);
}

// --- the daemons' accounts ---------------------------------------------------------------
let attester;
if (opts["attester-config"]) {
  attester = await accountOf(join(dirname(opts["attester-config"]), "keys.json"));
}
let gateway;
if (opts["gateway-keys"]) {
  const file = opts["gateway-keys"];
  if (!existsSync(file)) {
    // The openledger-attester key file format, which openledger-serve's [chain] key_file reads.
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ secp256k1: randomBytes(32).toString("hex"), ed25519: randomBytes(32).toString("hex") }, null, 2)}\n`, { mode: 0o600 });
  }
  gateway = await accountOf(file);
}

async function accountOf(keysFile) {
  const keys = JSON.parse(readFileSync(keysFile, "utf8"));
  // Also checks that the secret is a valid secp256k1 key.
  const signer = await DirectSecp256k1Wallet.fromKey(Buffer.from(keys.secp256k1, "hex"), "open");
  const [{ address }] = await signer.getAccounts();
  return { address };
}

// --- 1. gas money -------------------------------------------------------------------------
{
  const needy = [];
  for (const [name, who] of [["attester", attester], ["gateway", gateway]]) {
    if (!who) continue;
    const { amount } = await client.getBalance(who.address, "uopen");
    if (BigInt(amount) < GAS_FUND / 10n) needy.push({ name, who, top: GAS_FUND - BigInt(amount) });
  }
  if (needy.length) {
    const res = await client.signAndBroadcast(
      alice,
      needy.map(({ who, top }) => ({ typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: alice, toAddress: who.address, amount: uopen(top) } })),
      "auto",
    );
    if (res.code !== 0) fail(`funding failed: ${res.rawLog}`);
    say(`funded ${needy.map(({ name, who, top }) => `the ${name} ${who.address} (${top / OPEN} OPEN)`).join(" and ")} from alice for gas`);
  }
}

// --- 2. one attester per job ----------------------------------------------------------------
{
  const { params } = await q(addr.attribution_escrow, { config: {} });
  if (params.default_ask_count === 1) {
    say("escrow: jobs ask 1 attester (already set)");
  } else {
    // The escrow's governance is the timelock, whose proposer the deployer handed to the DAO
    // multisig; its members are dao-stake's stakers. On a dev chain alice is the only one, so
    // her proposal passes on her own vote.
    const { weight } = await q(addr.dao_stake, { member: { addr: alice } });
    const first = weight ? [] : [wrap(DAO_STAKE), sendOpen(addr.dao_stake, DAO_STAKE, { bond: {} })];
    const title = "dev: jobs ask one attester";
    const schedule = {
      schedule: { msgs: [wasmMsg(addr.attribution_escrow, { update_params: { params: { ...params, default_ask_count: 1 } } })], delay_seconds: null, description: title },
    };
    const proposed = await client.executeMultiple(
      alice,
      [...first, exec(addr.dao_multisig, { propose: { title, description: "openledgerd dev runs one attester", msgs: [wasmMsg(addr.dao_timelock, schedule)], latest: null } })],
      "auto",
    );
    const proposalId = Number(attrs(proposed, "proposal_id")[0]);
    const executed = await client.execute(alice, addr.dao_multisig, { execute: { proposal_id: proposalId } }, "auto");
    const operationId = Number(attrs(executed, "operation_id")[0]);
    if (!Number.isSafeInteger(operationId)) fail(`DAO proposal ${proposalId} scheduled no timelock operation (tx ${executed.transactionHash})`);
    await client.execute(alice, addr.dao_timelock, { execute: { operation_id: operationId } }, "auto");
    const after = (await q(addr.attribution_escrow, { config: {} })).params;
    if (after.default_ask_count !== 1) fail(`default_ask_count is still ${after.default_ask_count} after timelock operation ${operationId}`);
    say(`escrow: jobs ask 1 attester, was ${params.default_ask_count} (alice's DAO proposal ${proposalId}, timelock operation ${operationId}); quorum ${params.quorum_num}/${params.quorum_den} of 1`);
  }
  state.escrow = { default_ask_count: 1 };
}

// --- 3. the dev model, registered on a published Datanet --------------------------------------
{
  const modelHash = createHash("sha256").update(readFileSync(opts.model)).digest("hex");
  const recorded = state.model;
  const kept = recorded?.hash === modelHash && recorded?.name === opts["model-name"] && !(await notFound(() => q(addr.model_registry, { model: { model_id: recorded.id } })));
  if (kept) {
    say(`model registry: ${recorded.name} is model ${recorded.id} (already registered)`);
  } else {
    const datanet = (await publishedDatanet()) ?? (await publishDatanet());
    const res = await client.execute(
      alice,
      addr.model_registry,
      {
        register_model: {
          name: opts["model-name"],
          base_model_hash: modelHash,
          adapter_hash: null,
          training_log_hash: null,
          datanets: [{ datanet_id: datanet.id, version: datanet.version, root: datanet.root }],
          price_in_per_1k: PRICE_IN_PER_1K,
          price_out_per_1k: PRICE_OUT_PER_1K,
        },
      },
      "auto",
    );
    const id = Number(attrs(res, "model_id")[0]);
    state.model = { id, name: opts["model-name"], hash: modelHash, owner: alice, price_in_per_1k: PRICE_IN_PER_1K, price_out_per_1k: PRICE_OUT_PER_1K, datanet };
    saveState();
    say(`model registry: ${opts["model-name"]} registered as model ${id} (owner alice, ${PRICE_IN_PER_1K} / ${PRICE_OUT_PER_1K} uopen per 1k tokens in / out, trained on Datanet ${datanet.id} v${datanet.version})`);
  }
}

/** The Datanet an earlier start published, if it still has its version. */
async function publishedDatanet() {
  const d = state.datanet;
  if (!d?.root) return undefined;
  if (await notFound(() => q(addr.datanet_registry, { version: { datanet_id: d.id, version: d.version } }))) return undefined;
  return d;
}

/** Alice's Datanet from the demo corpus: created, contributed, reviewed, published. */
async function publishDatanet() {
  const corpus = JSON.parse(readFileSync(join(repo, "scripts/demo/corpus.json"), "utf8"));
  const dn = addr.datanet_registry;
  const created = await client.execute(
    alice,
    dn,
    {
      create_datanet: {
        name: corpus.datanet.name,
        summary: corpus.datanet.summary,
        description: corpus.datanet.description,
        tags: corpus.datanet.tags,
        kind: "text",
        license: corpus.datanet.license,
        policy: "open",
        min_validation_score_bps: 5000,
      },
    },
    "auto",
  );
  const id = Number(attrs(created, "datanet_id")[0]);
  const { params } = await q(dn, { config: {} });
  // The rows' bytes go to IPFS (pinned by the dev node), or to the content store the attester
  // reads; their hashes and where they are go on chain.
  const rows = [];
  for (const row of corpus.rows) {
    const bytes = Buffer.from(row.text, "utf8");
    const hash = createHash("sha256").update(bytes).digest("hex");
    let uri = `content://sha256/${hash}`;
    if (ipfs) uri = (await ipfs.add(bytes)).uri;
    else writeFileSync(join(contentDir, hash), bytes);
    rows.push({ ...row, bytes, hash, uri });
  }
  const contributed = await client.executeMultiple(
    alice,
    [
      wrap(params.min_contributor_bond),
      sendOpen(dn, params.min_contributor_bond, { bond: { datanet_id: id } }),
      ...rows.map((r) => exec(dn, { contribute: { datanet_id: id, content_hash: r.hash, size: r.bytes.length, uri: r.uri, license: corpus.datanet.license } })),
    ],
    "auto",
  );
  const ids = attrs(contributed, "contribution_id").map(Number);
  await client.executeMultiple(
    alice,
    ids.map((cid, i) => exec(dn, { review_contribution: { contribution_id: cid, accept: !rows[i].reject, validation_score_bps: rows[i].score_bps } })),
    "auto",
  );
  const { fee } = await q(dn, { publish_fee: { datanet_id: id } });
  await client.executeMultiple(alice, [wrap(fee), sendOpen(dn, fee, { publish: { datanet_id: id } })], "auto");
  const version = await q(dn, { version: { datanet_id: id, version: 1 } });
  state.datanet = { id, version: 1, root: version.merkle_root, rows: version.leaf_count };
  saveState();
  say(`Datanet ${id} "${corpus.datanet.name}": ${ids.length} rows by alice, ${version.leaf_count} accepted and published as v1 (root ${version.merkle_root.slice(0, 16)}…)`);
  return state.datanet;
}

// --- the daemons' standing in the attester registry (system.rs bonds them) -------------------
{
  const registry = addr.attester_registry;
  const { min_bond: minBond } = await q(registry, { config: {} });
  for (const [name, who] of [["attester", attester], ["gateway", gateway]]) {
    if (!who) continue;
    let info;
    try {
      info = await q(registry, { attester: { operator: who.address } });
    } catch (e) {
      if (!/not found/i.test(e.message)) throw e;
    }
    const bonded = BigInt(info?.bonded ?? 0);
    state[name] = { address: who.address, registered: Boolean(info), bonded: String(bonded), needs_bond: bonded < BigInt(minBond), status: info?.status ?? null };
  }
}

// --- 4. inference credit ----------------------------------------------------------------------
{
  const accounts = { alice, bob };
  const credit = {};
  const deposits = [];
  for (const [name, address] of Object.entries(accounts)) {
    credit[name] = BigInt((await q(addr.attribution_escrow, { credit: { address } })).credit);
    if (credit[name] < CREDIT_LOW) {
      const top = CREDIT - credit[name];
      deposits.push({ name, top, msg: exec(addr.attribution_escrow, { deposit_credit: { beneficiary: address === alice ? null : address } }, uopen(top)) });
      credit[name] = CREDIT;
    }
  }
  if (deposits.length) {
    await client.executeMultiple(alice, deposits.map((d) => d.msg), "auto");
    say(`escrow: inference credit ${deposits.map((d) => `${d.name} +${d.top / OPEN} OPEN`).join(", ")} (DepositCredit from alice)`);
  } else {
    say(`escrow: inference credit alice ${credit.alice} uopen, bob ${credit.bob} uopen (kept)`);
  }
  state.accounts = Object.fromEntries(Object.entries(accounts).map(([name, address]) => [name, { address, credit: String(credit[name]) }]));
}

saveState();

// Uploads and wires every OpenLedger contract on a running chain (contracts/README.md, "Deployment /
// wiring order"), then writes the addresses to a JSON file that attesters and clients read.
//
// Idempotent and resumable: each finished step is recorded in the output file at once; a re-run
// skips steps whose code or contract still exists on the chain, reuses an uploaded code with the
// same checksum, and does the rest. Run it via scripts/deploy.sh (see --help).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { DEV_MNEMONIC, GAS_PRICE } from "./dev-chain.mjs";
import pkg from "./dist/index.js";

const { contracts } = pkg;
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");


const HELP = `Usage: scripts/deploy.sh [options]

Upload, instantiate and wire every OpenLedger contract; write their addresses to a JSON file.

Options:
  --rpc URL           CometBFT RPC (default $OPENLEDGER_RPC or http://127.0.0.1:26657)
  --artifacts DIR     wasm artifacts from scripts/build-contracts.sh (default artifacts/)
  --out FILE          addresses file (default $OPENLEDGER_CONTRACTS or .openledger/contracts-<chain-id>.json)
  --timelock-delay S  the timelock's minimum delay once wired, in seconds (default 0, for dev chains)
  --mnemonic-env VAR  read the deployer mnemonic from this env var (default: the public dev mnemonic)
  -h, --help          this text

The deployer becomes the timelock's first proposer (delay 0), schedules and executes the wiring
that needs governance (the escrow becomes the attester registry's verifier; the timelock takes
its real delay), then hands the proposer role to the DAO multisig. Every contract's admin and
governance is the timelock.`;

// Deploy order; `file` is the artifact name written by scripts/build-contracts.sh.
const CODES = [
  "dao_timelock",
  "open_token",
  "datanet_registry",
  "model_registry",
  "attester_registry",
  "attribution_escrow",
  "dao_stake",
  "dao_multisig",
];

function fail(message) {
  console.error(`deploy: ${message}`);
  process.exit(1);
}

const { values: opts } = parseArgs({
  options: {
    rpc: { type: "string", default: process.env.OPENLEDGER_RPC ?? "http://127.0.0.1:26657" },
    artifacts: { type: "string", default: join(repo, "artifacts") },
    out: { type: "string", default: process.env.OPENLEDGER_CONTRACTS },
    "timelock-delay": { type: "string", default: "0" },
    "mnemonic-env": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
const timelockDelay = Number(opts["timelock-delay"]);
if (!Number.isSafeInteger(timelockDelay) || timelockDelay < 0) fail(`--timelock-delay must be seconds, got ${opts["timelock-delay"]}`);
const mnemonic = opts["mnemonic-env"] ? process.env[opts["mnemonic-env"]] : DEV_MNEMONIC;
if (!mnemonic) fail(`env var ${opts["mnemonic-env"]} is empty`);

for (const name of CODES) {
  if (!existsSync(join(opts.artifacts, `${name}.wasm`))) {
    fail(`${join(opts.artifacts, `${name}.wasm`)} is missing; build the contracts first: scripts/build-contracts.sh`);
  }
}

const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "open" });
const [{ address: deployer }] = await wallet.getAccounts();
let client;
try {
  client = await SigningCosmWasmClient.connectWithSigner(opts.rpc, wallet, {
    gasPrice: GAS_PRICE,
  });
} catch (e) {
  fail(`cannot reach the chain at ${opts.rpc} (${e.message}); start one with \`openledgerd dev\``);
}
const chainId = await client.getChainId();
const outFile = opts.out ?? join(repo, ".openledger", `contracts-${chainId}.json`);

// The record of what is done, rewritten atomically after every step.
let state = { chain_id: chainId, deployer, codes: {}, contracts: {}, wiring: {} };
if (existsSync(outFile)) {
  const previous = JSON.parse(readFileSync(outFile, "utf8"));
  if (previous.chain_id === chainId) state = { ...state, ...previous };
  else console.log(`deploy: ${outFile} is for chain ${previous.chain_id}; starting over for ${chainId}`);
}
function save() {
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(`${outFile}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${outFile}.tmp`, outFile);
}

let stepNo = 0;
const totalSteps = CODES.length * 2 + 2;
function step(text) {
  stepNo += 1;
  console.log(`[${String(stepNo).padStart(2)}/${totalSteps}] ${text}`);
}

async function exists(check) {
  try {
    return Boolean(await check());
  } catch {
    return false;
  }
}

process.on("unhandledRejection", (e) => fail(`${e?.message ?? e}\n(progress so far is in ${outFile}; re-run to resume)`));

// 1. Codes: reuse a recorded or already uploaded code with the same checksum.
const onChainCodes = await client.getCodes();
for (const name of CODES) {
  const wasm = readFileSync(join(opts.artifacts, `${name}.wasm`));
  const checksum = createHash("sha256").update(wasm).digest("hex");
  const recorded = state.codes[name];
  if (recorded?.checksum === checksum && (await exists(() => client.getCodeDetails(recorded.code_id)))) {
    step(`code ${name}: ${recorded.code_id} (recorded)`);
    continue;
  }
  const uploaded = onChainCodes.find((c) => c.checksum === checksum);
  if (uploaded) {
    state.codes[name] = { code_id: uploaded.id, checksum };
    step(`code ${name}: ${uploaded.id} (already on chain)`);
  } else {
    // cosmjs gzips the code itself (MsgStoreCode carries gzip; the node inflates it).
    const res = await client.upload(deployer, wasm, "auto", `openledger ${name}`);
    state.codes[name] = { code_id: res.codeId, checksum, tx: res.transactionHash };
    step(`code ${name}: uploaded as ${res.codeId} (${wasm.length} B, gzip ${res.compressedSize} B) tx ${res.transactionHash}`);
  }
  save();
}

async function instantiate(key, codeName, msg, label, admin) {
  const recorded = state.contracts[key];
  if (recorded && (await exists(() => client.getContract(recorded.address)))) {
    step(`${key}: ${recorded.address} (recorded)`);
    return recorded.address;
  }
  const res = await client.instantiate(deployer, state.codes[codeName].code_id, msg, label, "auto", { admin });
  state.contracts[key] = { address: res.contractAddress, code_id: state.codes[codeName].code_id, tx: res.transactionHash };
  save();
  step(`${key}: ${res.contractAddress} tx ${res.transactionHash}`);
  return res.contractAddress;
}

// 2. Contracts, in wiring order. Governance, admin, treasury and fee collector: the timelock.
const timelock = await instantiate(
  "dao_timelock",
  "dao_timelock",
  { proposer: deployer, min_delay_seconds: 0 },
  "openledger dao-timelock",
  undefined,
);
const token = await instantiate(
  "open_token",
  "open_token",
  {
    name: "OpenLedger",
    symbol: "OPEN",
    decimals: 6,
    initial_balances: [],
    mint: { minter: timelock, cap: null },
    marketing: null,
    native_denom: "uopen",
  },
  "openledger open-token",
  timelock,
);
const datanets = await instantiate(
  "datanet_registry",
  "datanet_registry",
  {
    governance: timelock,
    open_token: token,
    fee_collector: timelock,
    params: {
      base_fee: "50",
      fee_per_kib: "1",
      max_contribution_bytes: 5 << 20,
      daily_bytes_per_user: 10 << 20,
      daily_files_per_user: 20,
      daily_bytes_per_datanet: 10 << 20,
      min_contributor_bond: "100",
      bond_unbonding_seconds: 86_400,
      penalty_threshold: 100,
      penalized_reward_bps: 5_000,
    },
  },
  "openledger datanet-registry",
  timelock,
);
const models = await instantiate(
  "model_registry",
  "model_registry",
  { governance: timelock, datanet_registry: datanets },
  "openledger model-registry",
  timelock,
);
const attesters = await instantiate(
  "attester_registry",
  "attester_registry",
  {
    governance: timelock,
    open_token: token,
    slash_recipient: timelock,
    min_bond: "1000",
    unbonding_seconds: 7 * 86_400,
    verifier: null,
  },
  "openledger attester-registry",
  timelock,
);
const escrow = await instantiate(
  "attribution_escrow",
  "attribution_escrow",
  {
    governance: timelock,
    treasury: timelock,
    open_token: token,
    model_registry: models,
    datanet_registry: datanets,
    attester_registry: attesters,
    params: {
      platform_fee: "100",
      beta_bps: 3_000,
      gamma_bps: 2_000,
      delta_bps: 5_000,
      default_ask_count: 3,
      max_ask_count: 8,
      quorum_num: 2,
      quorum_den: 3,
      commit_blocks: 30,
      reveal_blocks: 30,
      challenge_blocks: 5,
      tolerance_bps: 200,
      slash_missed_bps: 10,
      slash_deviation_bps: 100,
      slash_equivocation_bps: 500,
      jail_seconds: 3_600,
      miss_window_blocks: 100,
      max_misses_per_window: 1,
      challenge_bond: "1000",
      // K: rows a result may name with their own influence (≤ 256); the rest of a version is
      // paid by validation score. δ of an answer no row influenced goes to the treasury.
      max_contributions: 64,
      unattributed: "treasury",
      // Blocks governance has to resolve a challenge (≈ 3.5 days at 6 s blocks, half the
      // attester registry's 7-day unbonding period); past it the challenge lapses, bond refunded.
      challenge_resolve_blocks: 50_400,
      // A gateway that charged for inference the attesters reject loses 10 % of its bond (in
      // the attester registry) and is jailed for jail_seconds.
      slash_gateway_bps: 1_000,
      // Bytes an attester reads for one job (rows, input and output; 5 MiB, an attester's
      // default): a job over it ends "inputs unavailable", slashing nobody, platform fee kept.
      max_job_bytes: 5 * 1024 * 1024,
    },
  },
  "openledger attribution-escrow",
  timelock,
);
const stake = await instantiate(
  "dao_stake",
  "dao_stake",
  {
    denom: { cw20: token },
    tokens_per_weight: "1000",
    min_bond: "1000",
    unbonding_period: { time: 7 * 86_400 },
    admin: timelock,
  },
  "openledger dao-stake",
  timelock,
);
const multisig = await instantiate(
  "dao_multisig",
  "dao_multisig",
  {
    group_addr: stake,
    threshold: { threshold_quorum: { threshold: "0.51", quorum: "0.3" } },
    max_voting_period: { time: 7 * 86_400 },
    executor: null,
    proposal_deposit: null,
  },
  "openledger dao-multisig",
  timelock,
);

// 3. Wiring through the timelock while the deployer is still its proposer.
const timelockClient = new contracts.DaoTimelock.DaoTimelockClient(client, deployer, timelock);
const registryQuery = new contracts.AttesterRegistry.AttesterRegistryQueryClient(client, attesters);
const wasmExecute = (contract, msg) => ({
  wasm: {
    execute: { contract_addr: contract, msg: Buffer.from(JSON.stringify(msg)).toString("base64"), funds: [] },
  },
});
const registryConfig = await registryQuery.config();
const timelockBefore = await new contracts.DaoTimelock.DaoTimelockQueryClient(client, timelock).config();
const wiring = [];
if (registryConfig.verifier !== escrow) wiring.push(wasmExecute(attesters, { update_config: { verifier: escrow } }));
if (timelockBefore.min_delay_seconds !== timelockDelay) {
  wiring.push(wasmExecute(timelock, { update_config: { min_delay_seconds: timelockDelay } }));
}
if (wiring.length === 0) {
  step(`wiring: verifier ${escrow}, timelock delay ${timelockDelay}s (already set)`);
} else if (timelockBefore.handed_off) {
  fail("the wiring is incomplete but the timelock is already handed to the DAO; propose it through the DAO");
} else {
  const scheduled = await timelockClient.schedule(
    { msgs: wiring, delaySeconds: 0, description: "wire the escrow as verifier; set the timelock delay" },
    "auto",
  );
  const operationId = Number(
    scheduled.events.flatMap((e) => e.attributes).find((a) => a.key === "operation_id")?.value,
  );
  if (!Number.isSafeInteger(operationId)) fail(`schedule tx ${scheduled.transactionHash} has no operation_id`);
  const executed = await timelockClient.execute({ operationId }, "auto");
  state.wiring.operation = { operation_id: operationId, tx: executed.transactionHash };
  save();
  step(`wiring: verifier ${escrow}, timelock delay ${timelockDelay}s (timelock op ${operationId}) tx ${executed.transactionHash}`);
}

const timelockConfig = await new contracts.DaoTimelock.DaoTimelockQueryClient(client, timelock).config();
if (timelockConfig.proposer === multisig) {
  step(`timelock proposer: ${multisig} (already handed off)`);
} else {
  const handOff = await timelockClient.handOff({ proposer: multisig }, "auto");
  state.wiring.hand_off = { tx: handOff.transactionHash };
  step(`timelock proposer handed to the DAO multisig ${multisig} tx ${handOff.transactionHash}`);
}
state.deployed_at_height = await client.getHeight();
save();
client.disconnect();
console.log(`deploy: done; addresses in ${outFile}`);
console.log(
  JSON.stringify(Object.fromEntries(Object.entries(state.contracts).map(([k, v]) => [k, v.address])), null, 2),
);

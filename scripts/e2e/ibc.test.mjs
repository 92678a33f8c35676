// ICS-20 over IBC between two OpenLedger dev chains relayed by Hermes, with unmodified cosmjs 0.38.1:
// scripts/e2e-ibc.sh starts the chains, the channel and Hermes (scripts/ibc-two-chains.sh --env-out) and
// runs this file (`npm run test:ibc`).
//
//   1. `hermes health-check` is clean for both chains
//   2. alice sends 1234567 uopen A -> B (direct signing, timeout height + timestamp): exact balances on A,
//      the escrow account on A, the `ibc/<sha256(transfer/<channel on B>/uopen)>` voucher on B, its denom trace
//   3. the voucher back B -> A (timeout timestamp only): burnt on B, escrow on A back, alice's uopen on A
//      down by exactly the fees of her txs
//   4. the same round trip signed with SIGN_MODE_LEGACY_AMINO_JSON (Secp256k1HdWallet: the Keplr / Ledger
//      path, cosmjs' default AminoTypes for `cosmos-sdk/MsgTransfer`)
//   5. a packet that times out while Hermes is stopped: after Hermes restarts (clear_on_start) the escrow
//      and alice are refunded by a MsgTimeout on A, and no voucher is minted on B
//   6. a contract-owned channel: the IBC test contract (abci-app/tests/wasm-contracts/ibc-ping) on each chain
//      gets the port wasm.<address>; Hermes opens a channel between the two ports (the contracts' handshake
//      entry points run; the contracts' IbcQuery::PortId / ListChannels see it); a ping the contract on A
//      sends is received by the contract on B, whose pong acknowledgement reaches the contract on A; the
//      contract on A forwards coins over the transfer channel with IbcMsg::Transfer
//
// Environment (written by scripts/ibc-two-chains.sh --env-out): OPENLEDGER_IBC_{A,B}_{CHAIN_ID,RPC,REST,
// CHANNEL}, OPENLEDGER_IBC_HERMES, OPENLEDGER_IBC_HERMES_CONFIG, OPENLEDGER_IBC_HERMES_LOG,
// OPENLEDGER_IBC_HERMES_PID_FILE. Without them the suite is skipped, or fails with OPENLEDGER_E2E=1.
// OPENLEDGER_IBC_WAIT_S (default 120): how long to wait for Hermes to relay something.
//
// Balances are checked as differences from what the accounts held before each step, so the suite can be
// re-run against the same chains; on fresh chains the escrow starts (and ends) at 0.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";

import { Secp256k1HdWallet, makeCosmoshubPath } from "@cosmjs/amino";
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm";
import { sha256 } from "@cosmjs/crypto";
import { toAscii, toBech32, toHex } from "@cosmjs/encoding";
import { DirectSecp256k1HdWallet, decodeTxRaw } from "@cosmjs/proto-signing";
import { SigningStargateClient, StargateClient, assertIsDeliverTxSuccess, coin } from "@cosmjs/stargate";
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";

import { CLIENT_OPTS, DENOM, MNEMONIC, PREFIX, sleep, waitFor as waitUntil } from "./common.mjs";

const env = (k) => process.env[`OPENLEDGER_IBC_${k}`];
const chain = (s) => ({
  name: s,
  id: env(`${s}_CHAIN_ID`),
  rpc: env(`${s}_RPC`)?.replace(/\/+$/, ""),
  rest: env(`${s}_REST`)?.replace(/\/+$/, ""),
  channel: env(`${s}_CHANNEL`),
});
const A = chain("A");
const B = chain("B");
const HERMES = env("HERMES");
const HERMES_CONFIG = env("HERMES_CONFIG");
const HERMES_LOG = env("HERMES_LOG");
const HERMES_PID_FILE = env("HERMES_PID_FILE");
const REQUIRED = process.env.OPENLEDGER_E2E === "1";
const WAIT_MS = Number(process.env.OPENLEDGER_IBC_WAIT_S ?? 120) * 1000;

const needed = { ...Object.fromEntries(["A", "B"].flatMap((s) => ["CHAIN_ID", "RPC", "REST", "CHANNEL"].map((k) => [`${s}_${k}`, env(`${s}_${k}`)]))), HERMES, HERMES_CONFIG, HERMES_LOG, HERMES_PID_FILE };
const unset = Object.entries(needed).filter(([, v]) => !v).map(([k]) => `OPENLEDGER_IBC_${k}`);
const skip = unset.length ? `${unset.join(", ")} not set (scripts/e2e-ibc.sh runs this suite)` : false;
if (skip && REQUIRED) throw new Error(`OPENLEDGER_E2E=1 but ${skip}`);

const ICS20_VERSION = "ics20-1";
const PING_VERSION = "openledger-ping-1";
const PING_WASM = new URL("../../abci-app/tests/wasm-contracts/artifacts/test_ibc_ping.wasm", import.meta.url);

const nowS = () => Math.floor(Date.now() / 1000);

/** common.mjs's waitFor with this suite's patience, pointing at the Hermes log when relaying stalls. */
const waitFor = (fn, { timeoutMs = WAIT_MS, intervalMs = 500, what = "condition" } = {}) =>
  waitUntil(fn, { timeoutMs, intervalMs, what }).catch((e) => {
    throw new Error(`${e.message} (Hermes log: ${HERMES_LOG})`);
  });

/** `ibc/` + uppercase hex sha256 of the full trace `port/channel/base` (the denom on the receiving chain). */
export const ibcDenom = (channelOnReceiver, base = DENOM, port = "transfer") =>
  `ibc/${toHex(sha256(toAscii(`${port}/${channelOnReceiver}/${base}`))).toUpperCase()}`;

/** ibc-go's GetEscrowAddress: sha256("ics20-1" ‖ 0x00 ‖ "port/channel")[:20]. */
export function escrowAddress(channel, port = "transfer") {
  const pre = new Uint8Array([...toAscii(ICS20_VERSION), 0, ...toAscii(`${port}/${channel}`)]);
  return toBech32(PREFIX, sha256(pre).slice(0, 20));
}

/** The revision number at the end of a chain id (`openledger-b-1` -> 1n). */
const revisionOf = (chainId) => BigInt(/-(\d+)$/.exec(chainId)?.[1] ?? "0");

/** The attribute `key` of the first event `type` in a DeliverTxResponse / IndexedTx. */
const eventAttr = (events, type, key) => events.find((e) => e.type === type)?.attributes.find((a) => a.key === key)?.value;

/** The ICS-20 FungibleTokenPacketData of the tx's send_packet event (packet_data_hex, else packet_data). */
function sentPacketData(events) {
  const hex = eventAttr(events, "send_packet", "packet_data_hex");
  const json = hex ? Buffer.from(hex, "hex").toString("utf8") : eventAttr(events, "send_packet", "packet_data");
  assert.ok(json, "send_packet carries packet_data_hex or packet_data");
  return JSON.parse(json);
}

// Hermes process handling (the PID file is shared with scripts/ibc-two-chains.sh --stop).
function processState(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return { comm: readFileSync(`/proc/${pid}/comm`, "utf8").trim(), state: stat.slice(stat.lastIndexOf(")") + 2)[0] };
  } catch {
    return null;
  }
}
const hermesPid = () => (existsSync(HERMES_PID_FILE) ? Number(readFileSync(HERMES_PID_FILE, "utf8").trim()) : NaN);
function hermesRunning() {
  const pid = hermesPid();
  const st = Number.isInteger(pid) ? processState(pid) : null;
  return st !== null && st.comm === "hermes" && st.state !== "Z" ? pid : null;
}
async function stopHermes() {
  const pid = hermesRunning();
  if (pid === null) return;
  process.kill(pid, "SIGTERM");
  await waitFor(() => hermesRunning() === null, { timeoutMs: 20_000, what: `Hermes (pid ${pid}) to stop` });
}
function startHermes() {
  assert.equal(hermesRunning(), null, "Hermes is not already running");
  const fd = openSync(HERMES_LOG, "a");
  try {
    const child = spawn(HERMES, ["--config", HERMES_CONFIG, "start"], { detached: true, stdio: ["ignore", fd, fd] });
    child.unref();
    writeFileSync(HERMES_PID_FILE, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

describe(`IBC between ${A.id ?? "chain A"} and ${B.id ?? "chain B"} relayed by Hermes (transfer channel ${A.channel} <-> ${B.channel})`, { skip }, () => {
  let alice; // address (m/44'/118'/0'/0/0)
  let qA, qB; // StargateClient
  let directA, directB, aminoA, aminoB; // SigningStargateClient
  let escrowA; // escrow account of the transfer channel on A
  let voucher; // denom of A's uopen on B

  const bal = async (q, address, denom) => BigInt((await q.getBalance(address, denom)).amount);
  /** The uopen fee of a committed tx (what the ante handler deducted), from the tx itself. */
  async function feeOf(q, hash) {
    const tx = await q.getTx(hash);
    assert.ok(tx, `tx ${hash} is indexed`);
    assert.equal(tx.code, 0, `tx ${hash} succeeded: ${tx.rawLog}`);
    return decodeTxRaw(tx.tx).authInfo.fee.amount.filter((c) => c.denom === DENOM).reduce((s, c) => s + BigInt(c.amount), 0n);
  }
  const waitBalance = (q, address, denom, want, what) =>
    waitFor(async () => {
      const have = await bal(q, address, denom);
      if (have !== want) throw new Error(`have ${have}, want ${want}`);
      return true;
    }, { what });

  before(async () => {
    const direct = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: PREFIX, hdPaths: [makeCosmoshubPath(0)] });
    const amino = await Secp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: PREFIX, hdPaths: [makeCosmoshubPath(0)] });
    alice = (await direct.getAccounts())[0].address;
    assert.equal(alice, (await amino.getAccounts())[0].address);
    [qA, qB] = await Promise.all([StargateClient.connect(A.rpc), StargateClient.connect(B.rpc)]);
    assert.equal(await qA.getChainId(), A.id);
    assert.equal(await qB.getChainId(), B.id);
    [directA, directB, aminoA, aminoB] = await Promise.all([
      SigningStargateClient.connectWithSigner(A.rpc, direct, CLIENT_OPTS),
      SigningStargateClient.connectWithSigner(B.rpc, direct, CLIENT_OPTS),
      SigningStargateClient.connectWithSigner(A.rpc, amino, CLIENT_OPTS),
      SigningStargateClient.connectWithSigner(B.rpc, amino, CLIENT_OPTS),
    ]);
    escrowA = escrowAddress(A.channel);
    voucher = ibcDenom(B.channel);
  });

  after(() => {
    for (const c of [qA, qB, directA, directB, aminoA, aminoB]) c?.disconnect();
  });

  test("hermes health-check: both chains healthy, no error", async () => {
    const { stdout, stderr } = await promisify(execFile)(HERMES, ["--json", "--config", HERMES_CONFIG, "health-check"], {
      timeout: 120_000,
      maxBuffer: 16 << 20,
    }).catch((e) => assert.fail(`hermes health-check exited ${e.code}: ${e.stdout}${e.stderr}`));
    const lines = `${stdout}\n${stderr}`.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    const msg = (l) => l.fields?.message ?? "";
    const where = (l) => JSON.stringify([l.span, l.spans]);
    const errors = lines.filter((l) => l.level === "ERROR" || l.status === "error");
    assert.deepEqual(errors.map((l) => `${msg(l) || l.result} ${where(l)}`), [], "no ERROR from hermes health-check");
    for (const id of [A.id, B.id]) {
      const forChain = lines.filter((l) => where(l).includes(`"${id}"`));
      const warnings = forChain.filter((l) => l.level === "WARN").map(msg);
      assert.ok(forChain.some((l) => msg(l) === "chain is healthy"), `${id}: "chain is healthy" (warnings: ${JSON.stringify(warnings)})`);
    }
    assert.ok(lines.some((l) => l.status === "success"), "hermes health-check reports success");
  });

  test("A -> B: 1234567 uopen escrowed on A, the same amount of the ibc/ voucher minted on B", async () => {
    const amount = 1234567n;
    const [aliceA0, escrow0, voucher0] = await Promise.all([bal(qA, alice, DENOM), bal(qA, escrowA, DENOM), bal(qB, alice, voucher)]);
    const heightB = await qB.getHeight();
    const res = await directA.sendIbcTokens(
      alice,
      alice,
      coin(String(amount), DENOM),
      "transfer",
      A.channel,
      { revisionNumber: revisionOf(B.id), revisionHeight: BigInt(heightB + 10_000) },
      nowS() + 600,
      "auto",
      "e2e ibc A->B",
    );
    assertIsDeliverTxSuccess(res);
    assert.equal(eventAttr(res.events, "send_packet", "packet_src_channel"), A.channel, "send_packet event on A's channel");
    assert.equal(eventAttr(res.events, "send_packet", "packet_dst_channel"), B.channel);
    assert.deepEqual(
      (({ denom, amount, sender, receiver }) => ({ denom, amount, sender, receiver }))(sentPacketData(res.events)),
      { denom: DENOM, amount: String(amount), sender: alice, receiver: alice },
      "ICS-20 packet data of a native token: the bare base denom",
    );
    const fee = await feeOf(qA, res.transactionHash);
    assert.ok(fee > 0n);
    assert.equal(await bal(qA, alice, DENOM), aliceA0 - amount - fee, "alice on A paid the amount and the fee");
    assert.equal(await bal(qA, escrowA, DENOM), escrow0 + amount, `escrow ${escrowA} holds the amount`);

    await waitBalance(qB, alice, voucher, voucher0 + amount, `alice's ${voucher} on B to reach ${voucher0 + amount}`);
    assert.equal(await bal(qA, escrowA, DENOM), escrow0 + amount, "escrow unchanged by the acknowledgement");
    assert.equal(await bal(qA, alice, DENOM), aliceA0 - amount - fee, "a success ack refunds nothing");
    if (escrow0 === 0n) assert.equal(await bal(qA, escrowA, DENOM), 1234567n);
  });

  test("B: the voucher's denom trace is transfer/<channel on B>/uopen (REST, if the transfer module is served)", async (t) => {
    const params = await fetch(`${B.rest}/ibc/apps/transfer/v1/params`);
    if (params.status === 404 || params.status === 501) {
      t.skip(`REST ${B.rest}/ibc/apps/transfer/v1/params answers ${params.status}: transfer queries not served`);
      return;
    }
    const hash = voucher.slice("ibc/".length);
    const res = await fetch(`${B.rest}/ibc/apps/transfer/v1/denom_traces/${hash}`);
    assert.equal(res.status, 200, `GET denom_traces/${hash}: ${await res.clone().text()}`);
    const body = await res.json();
    assert.deepEqual(body.denom_trace, { path: `transfer/${B.channel}`, base_denom: DENOM });
  });

  test("B -> A: the voucher goes back, burnt on B, released from escrow on A; only fees are lost", async () => {
    const amount = 1234567n;
    const [aliceA0, aliceB0, escrow0, voucher0] = await Promise.all([
      bal(qA, alice, DENOM),
      bal(qB, alice, DENOM),
      bal(qA, escrowA, DENOM),
      bal(qB, alice, voucher),
    ]);
    assert.ok(voucher0 >= amount, `alice holds ${voucher0} ${voucher} on B`);
    const res = await directB.sendIbcTokens(alice, alice, coin(String(amount), voucher), "transfer", B.channel, undefined, nowS() + 600, "auto", "e2e ibc B->A");
    assertIsDeliverTxSuccess(res);
    // ibc-go's sendTransfer puts the full trace, not the ibc/ hash, into the packet: A must recognise its own uopen.
    assert.equal(sentPacketData(res.events).denom, `transfer/${B.channel}/${DENOM}`, `packet denom of ${voucher} sent back`);
    const feeB = await feeOf(qB, res.transactionHash);
    assert.equal(await bal(qB, alice, voucher), voucher0 - amount, "the voucher left alice on B");
    assert.equal(await bal(qB, alice, DENOM), aliceB0 - feeB, "alice on B paid only the fee, in uopen");

    await waitBalance(qA, escrowA, DENOM, escrow0 - amount, `escrow on A to release ${amount}`);
    assert.equal(await bal(qA, alice, DENOM), aliceA0 + amount, "alice on A got the amount back");
    assert.equal(await bal(qB, alice, voucher), voucher0 - amount, "the voucher on B stays burnt");
  });

  test("the round trip signed with SIGN_MODE_LEGACY_AMINO_JSON (Keplr / Ledger path)", async () => {
    const amount = 7654321n;
    const [aliceA0, aliceB0, escrow0, voucher0] = await Promise.all([
      bal(qA, alice, DENOM),
      bal(qB, alice, DENOM),
      bal(qA, escrowA, DENOM),
      bal(qB, alice, voucher),
    ]);
    const signMode = async (q, hash) => decodeTxRaw((await q.getTx(hash)).tx).authInfo.signerInfos[0].modeInfo.single.mode;

    const heightB = await qB.getHeight();
    const out = await aminoA.sendIbcTokens(
      alice,
      alice,
      coin(String(amount), DENOM),
      "transfer",
      A.channel,
      { revisionNumber: revisionOf(B.id), revisionHeight: BigInt(heightB + 10_000) },
      nowS() + 600,
      "auto",
      "e2e ibc amino A->B",
    );
    assertIsDeliverTxSuccess(out);
    assert.equal(await signMode(qA, out.transactionHash), SignMode.SIGN_MODE_LEGACY_AMINO_JSON);
    const feeOut = await feeOf(qA, out.transactionHash);
    assert.equal(await bal(qA, escrowA, DENOM), escrow0 + amount);
    await waitBalance(qB, alice, voucher, voucher0 + amount, `alice's ${voucher} on B to grow by ${amount}`);

    // Back, with the voucher denom in the amino JSON and no timeout height (`timeout_height: {}`).
    const back = await aminoB.sendIbcTokens(alice, alice, coin(String(amount), voucher), "transfer", B.channel, undefined, nowS() + 600, "auto", "e2e ibc amino B->A");
    assertIsDeliverTxSuccess(back);
    assert.equal(sentPacketData(back.events).denom, `transfer/${B.channel}/${DENOM}`, `packet denom of ${voucher} sent back`);
    assert.equal(await signMode(qB, back.transactionHash), SignMode.SIGN_MODE_LEGACY_AMINO_JSON);
    const feeBack = await feeOf(qB, back.transactionHash);
    assert.equal(await bal(qB, alice, voucher), voucher0);
    await waitBalance(qA, escrowA, DENOM, escrow0, "escrow on A back where it was");
    assert.equal(await bal(qA, alice, DENOM), aliceA0 - feeOut, "alice on A lost only the fee");
    assert.equal(await bal(qB, alice, DENOM), aliceB0 - feeBack, "alice on B lost only the fee");
  });

  test("timeout: a packet not relayed in time is refunded on A after Hermes restarts; nothing minted on B", async () => {
    const amount = 2222222n;
    await stopHermes();
    let sequence, fee, timeoutS;
    const [aliceA0, escrow0, voucher0] = await Promise.all([bal(qA, alice, DENOM), bal(qA, escrowA, DENOM), bal(qB, alice, voucher)]);
    try {
      timeoutS = nowS() + 6; // a timestamp only: no timeout height
      const res = await directA.sendIbcTokens(alice, alice, coin(String(amount), DENOM), "transfer", A.channel, undefined, timeoutS, "auto", "e2e ibc timeout");
      assertIsDeliverTxSuccess(res);
      sequence = eventAttr(res.events, "send_packet", "packet_sequence");
      assert.ok(sequence, "send_packet carries packet_sequence");
      assert.equal(eventAttr(res.events, "send_packet", "packet_timeout_timestamp"), String(BigInt(timeoutS) * 1_000_000_000n));
      fee = await feeOf(qA, res.transactionHash);
      assert.equal(await bal(qA, escrowA, DENOM), escrow0 + amount, "escrowed while in flight");
      assert.equal(await bal(qA, alice, DENOM), aliceA0 - amount - fee);
      // Wait until B's clock (its block time) is past the timeout, so B can prove the packet never arrived.
      await waitFor(async () => Date.parse((await qB.getBlock()).header.time) > timeoutS * 1000 + 1000, {
        timeoutMs: 60_000,
        what: `a block on B after the timeout ${new Date(timeoutS * 1000).toISOString()}`,
      });
    } finally {
      startHermes();
    }
    // clear_on_start: the restarted Hermes finds the commitment on A, sees B never received it, sends MsgTimeout.
    await waitBalance(qA, escrowA, DENOM, escrow0, "escrow on A to refund the timed-out packet");
    assert.equal(await bal(qA, alice, DENOM), aliceA0 - fee, "alice on A refunded: only the fee is lost");
    assert.equal(await bal(qB, alice, voucher), voucher0, "no voucher minted on B");
    const timeouts = (await qA.searchTx(`timeout_packet.packet_src_channel='${A.channel}' AND timeout_packet.packet_sequence='${sequence}'`)).filter((tx) => tx.code === 0);
    assert.ok(timeouts.length >= 1, `a MsgTimeout for sequence ${sequence} on A (the refund is not from an error acknowledgement)`);
    await sleep(3000);
    assert.equal(await bal(qB, alice, voucher), voucher0, "still no voucher on B");
  });

  test("a contract-owned channel carries a ping and its pong acknowledgement between contracts on A and B; a contract's IbcMsg::Transfer", async () => {
    const direct = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: PREFIX, hdPaths: [makeCosmoshubPath(0)] });
    const [cwA, cwB] = await Promise.all([
      SigningCosmWasmClient.connectWithSigner(A.rpc, direct, CLIENT_OPTS),
      SigningCosmWasmClient.connectWithSigner(B.rpc, direct, CLIENT_OPTS),
    ]);
    try {
      const wasm = readFileSync(PING_WASM);
      const deploy = async (cw) => {
        const { codeId } = await cw.upload(alice, wasm, "auto");
        const { contractAddress } = await cw.instantiate(alice, codeId, {}, "ibc ping", "auto");
        const info = await cw.getContract(contractAddress);
        assert.equal(info.ibcPortId, `wasm.${contractAddress}`, "a contract with IBC entry points owns the port wasm.<address>");
        return contractAddress;
      };
      const [pingA, pingB] = [await deploy(cwA), await deploy(cwB)];

      // Hermes's CLI opens the channel with the relayer key that `hermes start` also signs with: stop it meanwhile.
      await stopHermes();
      let created;
      try {
        const args = ["--json", "--config", HERMES_CONFIG, "create", "channel", "--a-chain", A.id, "--a-connection", env("A_CONNECTION") ?? "connection-0",
          "--a-port", `wasm.${pingA}`, "--b-port", `wasm.${pingB}`, "--channel-version", PING_VERSION, "--order", "unordered", "--yes"];
        const { stdout } = await promisify(execFile)(HERMES, args, { timeout: 300_000, maxBuffer: 16 << 20 })
          .catch((e) => assert.fail(`hermes create channel exited ${e.code}: ${e.stdout}${e.stderr}`));
        created = stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).find((l) => l.status === "success")?.result;
        assert.ok(created, `hermes create channel reported success: ${stdout.slice(-2000)}`);
      } finally {
        startHermes();
      }
      const chA = created.a_side.channel_id;
      const chB = created.b_side.channel_id;
      const stateOf = (cw, addr) => cw.queryContractSmart(addr, { state: {} });
      const [sA0, sB0] = await Promise.all([stateOf(cwA, pingA), stateOf(cwB, pingB)]);
      assert.ok(sA0.channels.some((c) => c.channel_id === chA && c.open), `contract on A saw channel ${chA} connect: ${JSON.stringify(sA0.channels)}`);
      assert.ok(sB0.channels.some((c) => c.channel_id === chB && c.open), `contract on B saw channel ${chB} connect: ${JSON.stringify(sB0.channels)}`);
      // What the chain tells a contract (wasmd's IbcQuery::PortId and ::ListChannels).
      for (const [cw, addr, ch] of [[cwA, pingA, chA], [cwB, pingB, chB]]) {
        const ibc = await cw.queryContractSmart(addr, { ibc: {} });
        assert.equal(ibc.port, `wasm.${addr}`, "IbcQuery::PortId answers the contract's port");
        assert.ok(ibc.open_channels.includes(ch), `IbcQuery::ListChannels lists ${ch}: ${JSON.stringify(ibc.open_channels)}`);
      }

      const text = `ping ${Date.now()}`;
      const res = await cwA.execute(alice, pingA, { ping: { channel: chA, text } }, "auto");
      assert.equal(eventAttr(res.events, "send_packet", "packet_src_port"), `wasm.${pingA}`, "the contract sent the packet from its port");
      assert.equal(eventAttr(res.events, "send_packet", "packet_dst_port"), `wasm.${pingB}`);
      await waitFor(async () => (await stateOf(cwB, pingB)).last_received === text, { what: `the contract on B to receive "${text}"` });
      const acked = await waitFor(async () => (await stateOf(cwA, pingA)).acks.find((a) => a.ping === text), { what: `the pong for "${text}" on A` });
      assert.deepEqual(acked.ack, { pong: text }, "the acknowledgement is the one the contract on B wrote");
      assert.equal((await stateOf(cwB, pingB)).received, sB0.received + 1);

      // IbcMsg::Transfer from the contract: the coins alice attaches go over the ICS-20 channel as
      // the contract's own transfer (sender = the contract).
      const amount = 4321n;
      const [escrow0, voucher0] = await Promise.all([bal(qA, escrowA, DENOM), bal(qB, alice, voucher)]);
      const sent = await cwA.execute(alice, pingA, { transfer: { channel: A.channel, to_address: alice } }, "auto", "", [coin(String(amount), DENOM)]);
      const data = sentPacketData(sent.events);
      assert.deepEqual([data.sender, data.receiver, data.denom, data.amount], [pingA, alice, DENOM, String(amount)], "the contract is the ICS-20 sender");
      assert.equal(await bal(qA, escrowA, DENOM), escrow0 + amount, "the contract's coins are escrowed on A");
      assert.equal(await bal(qA, pingA, DENOM), 0n, "the contract keeps nothing");
      await waitBalance(qB, alice, voucher, voucher0 + amount, `alice's ${voucher} on B to grow by ${amount} from the contract's transfer`);
    } finally {
      cwA.disconnect();
      cwB.disconnect();
    }
  });
});

// ICS-20 over IBC between two OpenLedger dev chains relayed by Hermes, with unmodified cosmjs 0.38.1:
// scripts/e2e-ibc.sh starts the chains, the channel and Hermes (scripts/ibc-two-chains.sh --env-out) and
// runs this file (`npm run test:ibc`).
//
//   1. `hermes health-check` is clean for both chains
//   2. alice sends 1234567 uopen A -> B (direct signing, timeout height + timestamp): exact balances on A,
//      the escrow account on A, the `ibc/<sha256(transfer/<channel on B>/uopen)>` voucher on B, its denom trace,
//      and its origin as Keplr finds it (B's channel, its client state's chain id: over ABCI and REST)
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
//      contract on B acknowledges a `later:` ping afterwards with IbcMsg::WriteAcknowledgement (async ack);
//      the contract on A forwards coins over the transfer channel with IbcMsg::Transfer; then it closes its
//      channel with IbcMsg::CloseChannel (no more packets) and `hermes tx chan-close-confirm` closes B's end,
//      both contracts' ibc_channel_close running
//   7. CW20 OPEN over IBC: cw-plus's cw20-ics20 on A (port wasm.<address>) and B's transfer module share an
//      ics20-1 channel; CW20 OPEN sent with cw20 `send` arrives on B as `ibc/<sha256(transfer/<channel>/cw20:<token>)>`
//      and, sent back, is released by the contract to alice
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
import { toAscii, toBase64, toBech32, toHex, toUtf8 } from "@cosmjs/encoding";
import { DirectSecp256k1HdWallet, decodeTxRaw } from "@cosmjs/proto-signing";
import { QueryClient, SigningStargateClient, StargateClient, assertIsDeliverTxSuccess, coin, setupIbcExtension } from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import { Order, State as ChannelState } from "cosmjs-types/ibc/core/channel/v1/channel";
import { ClientState as TendermintClientState } from "cosmjs-types/ibc/lightclients/tendermint/v1/tendermint";
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
const CW20_ICS20_WASM = new URL("../../abci-app/tests/wasm-contracts/artifacts/test_cw20_ics20.wasm", import.meta.url);
/** CW20 OPEN (contracts/open-token), as scripts/build-contracts.sh builds it. */
const OPEN_TOKEN_WASM = new URL("../../artifacts/open_token.wasm", import.meta.url);

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

/**
 * One Hermes CLI command (`--json`), run while `hermes start` is stopped: both sign with the same
 * relayer key. Returns the `result` of its `{"status":"success"}` line.
 */
async function hermesCli(args) {
  await stopHermes();
  try {
    const what = `hermes ${args.slice(0, 2).join(" ")}`;
    const { stdout } = await promisify(execFile)(HERMES, ["--json", "--config", HERMES_CONFIG, ...args], { timeout: 300_000, maxBuffer: 16 << 20 })
      .catch((e) => assert.fail(`${what} exited ${e.code}: ${e.stdout}${e.stderr}`));
    const success = stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).find((l) => l.status === "success");
    assert.ok(success, `${what} reported success: ${stdout.slice(-2000)}`);
    return success.result;
  } finally {
    startHermes();
  }
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

  test("B: the voucher's origin as Keplr finds it: the trace's channel leads to a client of chain A (ABCI and REST)", async () => {
    // Keplr's stores-ibc: channel -> counterparty, then the channel's client state -> chain_id.
    const comet = await connectComet(B.rpc);
    const ibc = QueryClient.withExtensions(comet, setupIbcExtension);
    try {
      const { channel } = await ibc.ibc.channel.channel("transfer", B.channel);
      assert.equal(channel.state, ChannelState.STATE_OPEN);
      assert.equal(channel.ordering, Order.ORDER_UNORDERED);
      assert.deepEqual({ ...channel.counterparty }, { portId: "transfer", channelId: A.channel });
      assert.equal(channel.version, "ics20-1");
      const { identifiedClientState } = await ibc.ibc.channel.clientState("transfer", B.channel);
      assert.equal(identifiedClientState.clientState.typeUrl, "/ibc.lightclients.tendermint.v1.ClientState");
      const tm = TendermintClientState.decode(identifiedClientState.clientState.value);
      assert.equal(tm.chainId, A.id, "the client under B's transfer channel tracks chain A");
      assert.ok(tm.latestHeight.revisionHeight > 0n);

      const rest = async (path) => {
        const r = await fetch(`${B.rest}${path}`);
        assert.equal(r.status, 200, `GET ${path}: ${await r.clone().text()}`);
        return r.json();
      };
      const viaRest = await rest(`/ibc/core/channel/v1/channels/${B.channel}/ports/transfer`);
      assert.equal(viaRest.channel.state, "STATE_OPEN");
      assert.deepEqual(viaRest.channel.counterparty, { port_id: "transfer", channel_id: A.channel });
      assert.deepEqual(viaRest.channel.connection_hops, channel.connectionHops);
      const cs = await rest(`/ibc/core/channel/v1/channels/${B.channel}/ports/transfer/client_state`);
      assert.equal(cs.identified_client_state.client_id, identifiedClientState.clientId);
      assert.equal(cs.identified_client_state.client_state["@type"], "/ibc.lightclients.tendermint.v1.ClientState");
      assert.equal(cs.identified_client_state.client_state.chain_id, A.id);
      const conn = await rest(`/ibc/core/connection/v1/connections/${channel.connectionHops[0]}`);
      assert.equal(conn.connection.state, "STATE_OPEN");
      assert.equal(conn.connection.client_id, identifiedClientState.clientId);
      const { channels } = await rest("/ibc/core/channel/v1/channels");
      assert.ok(channels.some((c) => c.port_id === "transfer" && c.channel_id === B.channel), "B's channels list the transfer channel");
    } finally {
      comet.disconnect();
    }
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

  test("a contract-owned channel carries a ping and its pong acknowledgement between contracts on A and B; an async ack (IbcMsg::WriteAcknowledgement); a contract's IbcMsg::Transfer and IbcMsg::CloseChannel", async () => {
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

      const created = await hermesCli(["create", "channel", "--a-chain", A.id, "--a-connection", env("A_CONNECTION") ?? "connection-0",
        "--a-port", `wasm.${pingA}`, "--b-port", `wasm.${pingB}`, "--channel-version", PING_VERSION, "--order", "unordered", "--yes"]);
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

      // An async acknowledgement: the contract on B answers a `later:` ping without one, and writes it
      // afterwards with IbcMsg::WriteAcknowledgement; Hermes relays it to A then.
      const later = `later: ${Date.now()}`;
      const sentLater = await cwA.execute(alice, pingA, { ping: { channel: chA, text: later } }, "auto");
      const seq = Number(eventAttr(sentLater.events, "send_packet", "packet_sequence"));
      const pending = await waitFor(async () => (await stateOf(cwB, pingB)).pending.find((p) => p.ping === later), { what: `the contract on B to hold "${later}"` });
      assert.deepEqual(pending, { channel_id: chB, sequence: seq, ping: later });
      const cometB = await connectComet(B.rpc);
      const ibcB = QueryClient.withExtensions(cometB, setupIbcExtension);
      await assert.rejects(ibcB.ibc.channel.packetAcknowledgement(`wasm.${pingB}`, chB, seq), /not found/i, "no acknowledgement written on B yet");
      const ponged = await cwB.execute(alice, pingB, { pong: { channel: chB, sequence: seq } }, "auto");
      assert.equal(eventAttr(ponged.events, "write_acknowledgement", "packet_sequence"), String(seq));
      assert.equal(Buffer.from(eventAttr(ponged.events, "write_acknowledgement", "packet_ack_hex"), "hex").toString(), JSON.stringify({ pong: later }));
      assert.ok((await ibcB.ibc.channel.packetAcknowledgement(`wasm.${pingB}`, chB, seq)).acknowledgement.length > 0, "the ack commitment is stored on B");
      cometB.disconnect();
      const ackedLater = await waitFor(async () => (await stateOf(cwA, pingA)).acks.find((a) => a.ping === later), { what: `the late pong for "${later}" on A` });
      assert.deepEqual(ackedLater.ack, { pong: later });
      await assert.rejects(cwB.execute(alice, pingB, { pong: { channel: chB, sequence: seq } }, "auto"), /no pending ping/, "a packet is acknowledged once");

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

      // IbcMsg::CloseChannel from the contract on A: a MsgChannelCloseInit on its port (its
      // ibc_channel_close runs with CloseInit); Hermes's MsgChannelCloseConfirm closes B's end and
      // runs the contract on B's ibc_channel_close.
      const endOn = async (chain, port, ch) => {
        const r = await fetch(`${chain.rest}/ibc/core/channel/v1/channels/${ch}/ports/${port}`);
        assert.equal(r.status, 200, `GET channel ${port}/${ch} on ${chain.id}: ${await r.clone().text()}`);
        return (await r.json()).channel;
      };
      const closed = await cwA.execute(alice, pingA, { close: { channel: chA } }, "auto");
      assert.deepEqual(
        ["port_id", "channel_id", "counterparty_port_id", "counterparty_channel_id"].map((k) => eventAttr(closed.events, "channel_close_init", k)),
        [`wasm.${pingA}`, chA, `wasm.${pingB}`, chB],
        "channel_close_init event",
      );
      assert.equal((await endOn(A, `wasm.${pingA}`, chA)).state, "STATE_CLOSED");
      assert.equal((await stateOf(cwA, pingA)).channels.find((c) => c.channel_id === chA).open, false, "the contract on A's ibc_channel_close ran (CloseInit)");
      assert.ok(!(await cwA.queryContractSmart(pingA, { ibc: {} })).open_channels.includes(chA), "ListChannels drops the closed channel");
      await assert.rejects(cwA.execute(alice, pingA, { ping: { channel: chA, text: "too late" } }, "auto"), /clos/i, "no packets on a closed channel");

      const endB = await endOn(B, `wasm.${pingB}`, chB);
      assert.equal(endB.state, "STATE_OPEN", "B's end stays open until the relayer confirms");
      await hermesCli(["tx", "chan-close-confirm", "--dst-chain", B.id, "--src-chain", A.id, "--dst-connection", endB.connection_hops[0],
        "--dst-port", `wasm.${pingB}`, "--src-port", `wasm.${pingA}`, "--dst-channel", chB, "--src-channel", chA]);
      assert.equal((await endOn(B, `wasm.${pingB}`, chB)).state, "STATE_CLOSED");
      assert.equal((await stateOf(cwB, pingB)).channels.find((c) => c.channel_id === chB).open, false, "the contract on B's ibc_channel_close ran (CloseConfirm)");
    } finally {
      cwA.disconnect();
      cwB.disconnect();
    }
  });

  test("CW20 OPEN over IBC: cw20-ics20 on A sends it to B's transfer module as an ibc/ voucher, and the voucher comes back", async () => {
    assert.ok(existsSync(OPEN_TOKEN_WASM), `${OPEN_TOKEN_WASM.pathname} is built (scripts/build-contracts.sh)`);
    const direct = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: PREFIX, hdPaths: [makeCosmoshubPath(0)] });
    const cwA = await SigningCosmWasmClient.connectWithSigner(A.rpc, direct, CLIENT_OPTS);
    try {
      const deploy = async (wasm, msg, label) => {
        const { codeId } = await cwA.upload(alice, readFileSync(wasm), "auto");
        return (await cwA.instantiate(alice, codeId, msg, label, "auto")).contractAddress;
      };
      // CW20 OPEN: alice wraps 1 OPEN of her uopen.
      const token = await deploy(OPEN_TOKEN_WASM, { name: "OpenLedger", symbol: "OPEN", decimals: 6, initial_balances: [], mint: null, marketing: null, native_denom: DENOM }, "CW20 OPEN");
      await cwA.execute(alice, token, { deposit: {} }, "auto", "", [coin("1000000", DENOM)]);
      const ics20 = await deploy(CW20_ICS20_WASM, { default_timeout: 600, gov_contract: alice, allowlist: [{ contract: token, gas_limit: null }], default_gas_limit: null }, "cw20-ics20");
      assert.equal((await cwA.getContract(ics20)).ibcPortId, `wasm.${ics20}`);

      // A channel between the contract's port on A and the transfer module on B, version ics20-1.
      const created = await hermesCli(["create", "channel", "--a-chain", A.id, "--a-connection", env("A_CONNECTION") ?? "connection-0",
        "--a-port", `wasm.${ics20}`, "--b-port", "transfer", "--channel-version", ICS20_VERSION, "--order", "unordered", "--yes"]);
      const [chA, chB] = [created.a_side.channel_id, created.b_side.channel_id];
      const { info } = await cwA.queryContractSmart(ics20, { channel: { id: chA } });
      assert.deepEqual(info.counterparty_endpoint, { port_id: "transfer", channel_id: chB }, "cw20-ics20 saw the channel connect");

      const cw20 = async (address) => BigInt((await cwA.queryContractSmart(token, { balance: { address } })).balance);
      const cwVoucher = ibcDenom(chB, `cw20:${token}`);
      const amount = 250000n;
      const [alice0, held0, voucher0] = [await cw20(alice), await cw20(ics20), await bal(qB, alice, cwVoucher)];
      const transfer = toBase64(toUtf8(JSON.stringify({ channel: chA, remote_address: alice })));
      const sent = await cwA.execute(alice, token, { send: { contract: ics20, amount: String(amount), msg: transfer } }, "auto");
      const data = sentPacketData(sent.events);
      assert.deepEqual([data.denom, data.amount, data.sender, data.receiver], [`cw20:${token}`, String(amount), alice, alice], "ICS-20 packet of a CW20");
      assert.equal(await cw20(alice), alice0 - amount);
      assert.equal(await cw20(ics20), held0 + amount, "cw20-ics20 holds the CW20 it sent");

      await waitBalance(qB, alice, cwVoucher, voucher0 + amount, `alice's ${cwVoucher} on B to reach ${voucher0 + amount}`);
      const trace = await fetch(`${B.rest}/ibc/apps/transfer/v1/denom_traces/${cwVoucher.slice(4)}`).then((r) => r.json());
      assert.deepEqual(trace.denom_trace, { path: `transfer/${chB}`, base_denom: `cw20:${token}` });
      const outstanding = async () => (await cwA.queryContractSmart(ics20, { channel: { id: chA } })).balances;
      // cw20-ics20 keeps a channel balance until the ack: an error ack would have refunded alice.
      await waitFor(async () => (await outstanding()).some((b) => b.cw20?.address === token && BigInt(b.cw20.amount) === amount), { what: "the success ack on A" });
      assert.equal(await cw20(alice), alice0 - amount, "a success ack refunds nothing");

      // Back B -> A: B's transfer module sends the full trace; cw20-ics20 releases the CW20 to alice.
      const back = await directB.sendIbcTokens(alice, alice, coin(String(amount), cwVoucher), "transfer", chB, undefined, nowS() + 600, "auto", "CW20 back");
      assertIsDeliverTxSuccess(back);
      assert.equal(sentPacketData(back.events).denom, `transfer/${chB}/cw20:${token}`);
      assert.equal(await bal(qB, alice, cwVoucher), voucher0, "the voucher is burnt on B");
      await waitFor(async () => (await cw20(alice)) === alice0, { what: `alice's CW20 OPEN on A back to ${alice0}` });
      assert.equal(await cw20(ics20), held0, "cw20-ics20 released what it held");
      assert.deepEqual((await outstanding()).filter((b) => b.cw20?.address === token && BigInt(b.cw20.amount) > 0n), [], "no outstanding balance left on the channel");
    } finally {
      cwA.disconnect();
    }
  });
});

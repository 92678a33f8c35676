// cosmjs 0.38.1 end-to-end suite against a running dev chain (`openledgerd dev`): what cosmjs frontends and Keplr do against a chain.
//
//   cd scripts/e2e && npm run test:e2e                 skips (does not fail) when no node answers
//   OPENLEDGER_E2E=1 npm run test:e2e                  FAILS when the node is unreachable (CI mode)
//
// Environment:
//   OPENLEDGER_RPC       CometBFT RPC   (default http://127.0.0.1:26657)
//   OPENLEDGER_REST      REST / LCD     (default http://127.0.0.1:1317)
//   OPENLEDGER_CHAIN_ID  expected chain id (default openledger-dev-1)
//   OPENLEDGER_E2E=1     node is required; wait up to OPENLEDGER_E2E_WAIT_S (default 60) for it to come up
//   OPENLEDGER_E2E_SKIP_REST=1  skip the Keplr REST connectivity probe (a node started without REST)
//
// Dev accounts: the public BIP-39 test mnemonic "abandon … about", m/44'/118'/0'/0/i, prefix `open`:
// alice = 0, bob = 1 (both funded at genesis). Each run sends to fresh random addresses, so the suite can be
// re-run against the same chain.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";

import { Secp256k1HdWallet, makeCosmoshubPath } from "@cosmjs/amino";
import { toHex } from "@cosmjs/encoding";
import { DirectSecp256k1HdWallet, decodeTxRaw } from "@cosmjs/proto-signing";
import {
  BroadcastTxError,
  QueryClient,
  SigningStargateClient,
  StargateClient,
  calculateFee,
} from "@cosmjs/stargate";
import { Comet38Client, connectComet, isComet38Client } from "@cosmjs/tendermint-rpc";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import WebSocket from "ws";
import { checkRPCConnectivity, checkRestConnectivity } from "@keplr-wallet/chain-validator";
import { subscribeTxByHash } from "./wstx.mjs";
import {
  CHAIN_ID,
  CLIENT_OPTS,
  DENOM,
  GAS_PRICE,
  MNEMONIC,
  PREFIX,
  REST,
  RPC,
  UNREACHABLE,
  freshAddress,
  txHashHex,
  waitFor,
  withTimeout,
} from "./chain-env.mjs";

const SKIP_REST = process.env.OPENLEDGER_E2E_SKIP_REST === "1";

describe(`cosmjs 0.38.1 against ${RPC} (${CHAIN_ID})`, { skip: UNREACHABLE ?? false }, () => {
  let comet; // auto-detected client
  let client; // StargateClient
  let alice; // { address, signing: SigningStargateClient (direct) }
  let bob; // { address, signing: SigningStargateClient (amino) }
  const sent = {}; // results shared between tests

  before(async () => {
    comet = await connectComet(RPC);
    client = StargateClient.create(comet);
    const directWallet = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, {
      prefix: PREFIX,
      hdPaths: [makeCosmoshubPath(0)],
    });
    const aminoWallet = await Secp256k1HdWallet.fromMnemonic(MNEMONIC, {
      prefix: PREFIX,
      hdPaths: [makeCosmoshubPath(1)],
    });
    alice = {
      address: (await directWallet.getAccounts())[0].address,
      signing: await SigningStargateClient.connectWithSigner(RPC, directWallet, CLIENT_OPTS),
    };
    bob = {
      address: (await aminoWallet.getAccounts())[0].address,
      signing: await SigningStargateClient.connectWithSigner(RPC, aminoWallet, CLIENT_OPTS),
    };
  });

  after(() => {
    comet?.disconnect();
    alice?.signing.disconnect();
    bob?.signing.disconnect();
  });

  // ---- RPC via cosmjs (HTTP) ------------------------------------------------------------------------------------
  test("1. connectComet auto-detects a Comet38Client (node_info.version 0.38.x)", () => {
    assert.ok(comet instanceof Comet38Client, `got ${comet?.constructor?.name}`);
    assert.ok(isComet38Client(comet));
  });

  test("2-3. status decodes; chain id matches; latest app hash is non-empty", async () => {
    const status = await comet.status();
    assert.equal(status.nodeInfo.network, CHAIN_ID);
    assert.match(status.nodeInfo.version, /^0\.38\./);
    assert.ok(status.syncInfo.latestBlockHeight >= 1);
    assert.ok(status.syncInfo.latestAppHash.length > 0, "latest_app_hash must be non-empty");
    assert.ok(status.syncInfo.latestBlockHash.length > 0);
    assert.equal(await client.getChainId(), CHAIN_ID);
  });

  test("4. getHeight increases", async () => {
    const h0 = await client.getHeight();
    assert.ok(h0 >= 1);
    const h1 = await waitFor(async () => {
      const h = await client.getHeight();
      return h > h0 ? h : null;
    }, { what: `height > ${h0}` });
    assert.ok(h1 > h0);
  });

  test("5. getBlock(1) and getBlock() decode", async () => {
    const b1 = await client.getBlock(1);
    assert.equal(b1.header.height, 1);
    assert.equal(b1.header.chainId, CHAIN_ID);
    assert.match(b1.id, /^[0-9A-F]{64}$/);
    assert.ok(Array.isArray(b1.txs));
    const latest = await client.getBlock();
    assert.ok(latest.header.height >= 1);
    const raw = await comet.block(1);
    assert.equal(raw.block.header.height, 1);
  });

  test("6. abci_query on an unknown path fails with 'Query failed'", async () => {
    const qc = new QueryClient(comet);
    await assert.rejects(qc.queryAbci("/openledger.nonexistent.v1.Query/Nothing", new Uint8Array()), /Query failed/);
  });

  test("7. getAccount(fresh address) is null", async () => {
    assert.equal(await client.getAccount(freshAddress()), null);
  });

  test("8. getBalance(fresh address) is a zero coin", async () => {
    assert.deepEqual(await client.getBalance(freshAddress(), DENOM), { denom: DENOM, amount: "0" });
  });

  test("dev accounts alice and bob exist and are funded", async () => {
    for (const { address } of [alice, bob]) {
      const acct = await client.getAccount(address);
      assert.ok(acct, `${address} must exist at genesis`);
      assert.equal(acct.address, address);
      const bal = await client.getBalance(address, DENOM);
      assert.ok(BigInt(bal.amount) > 1_000_000n, `${address} balance ${bal.amount}${DENOM}`);
    }
  });

  test('9. sendTokens with fee "auto": fee = ceil(ceil(1.4 x simulated) x 0.025), DeliverTxResponse shape', async () => {
    const to = freshAddress();
    // Record the gas estimate the client itself uses for "auto".
    let simulated;
    const realSimulate = alice.signing.simulate.bind(alice.signing);
    alice.signing.simulate = async (...args) => (simulated = await realSimulate(...args));
    let res;
    try {
      res = await alice.signing.sendTokens(alice.address, to, [{ denom: DENOM, amount: "12345" }], "auto", "e2e auto fee");
    } finally {
      delete alice.signing.simulate;
    }
    assert.ok(Number.isInteger(simulated) && simulated > 0, `simulated gas ${simulated}`);
    assert.equal(res.code, 0, `code ${res.code} log ${res.rawLog}`);
    assert.ok(res.height > 0);
    assert.equal(typeof res.txIndex, "number");
    assert.match(res.transactionHash, /^[0-9A-F]{64}$/);
    assert.equal(res.rawLog, "", "success log must be empty (SDK 0.50 behaviour)");
    assert.ok(res.events.some((e) => e.type === "transfer"), `events: ${res.events.map((e) => e.type)}`);
    assert.ok(res.gasUsed <= res.gasWanted, `gasUsed ${res.gasUsed} > gasWanted ${res.gasWanted}`);
    assert.equal(res.msgResponses[0]?.typeUrl, "/cosmos.bank.v1beta1.MsgSendResponse");

    const expectedGas = Math.ceil(simulated * 1.4);
    const expectedFee = (BigInt(expectedGas) * 25n + 999n) / 1000n; // ceil(gas x 0.025)
    assert.equal(res.gasWanted, BigInt(expectedGas));
    assert.deepEqual(calculateFee(expectedGas, GAS_PRICE).amount, [{ denom: DENOM, amount: expectedFee.toString() }]);
    const indexed = await client.getTx(res.transactionHash);
    assert.ok(indexed, "getTx finds the tx");
    const decoded = decodeTxRaw(indexed.tx);
    assert.equal(decoded.authInfo.fee.gasLimit, BigInt(expectedGas));
    assert.deepEqual(decoded.authInfo.fee.amount, [{ denom: DENOM, amount: expectedFee.toString() }]);
    assert.equal(decoded.authInfo.signerInfos[0].modeInfo.single.mode, SignMode.SIGN_MODE_DIRECT);
    assert.equal(decoded.body.memo, "e2e auto fee");

    assert.deepEqual(await client.getBalance(to, DENOM), { denom: DENOM, amount: "12345" });
    const created = await client.getAccount(to);
    assert.ok(created, "recipient account is created on first receipt");
    sent.auto = { ...res, to };
  });

  test("10. broadcastTxSync with a wrong sequence -> BroadcastTxError code 32, codespace sdk", async () => {
    const { accountNumber, sequence } = await client.getSequence(alice.address);
    const msg = {
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: alice.address, toAddress: freshAddress(), amount: [{ denom: DENOM, amount: "1" }] },
    };
    const fee = calculateFee(200_000, GAS_PRICE);
    const signed = await alice.signing.sign(alice.address, [msg], fee, "", {
      accountNumber,
      sequence: sequence + 7,
      chainId: CHAIN_ID,
    });
    await assert.rejects(alice.signing.broadcastTxSync(TxRaw.encode(signed).finish()), (err) => {
      assert.ok(err instanceof BroadcastTxError, `expected BroadcastTxError, got ${err}`);
      assert.equal(err.code, 32, err.log);
      assert.equal(err.codespace, "sdk");
      return true;
    });
  });

  test("11. searchTx by hash, by message.sender and by tx.height", async () => {
    assert.ok(sent.auto, "needs test 9");
    const { transactionHash: hash, height } = sent.auto;
    const byHash = await client.searchTx(`tx.hash='${hash}'`);
    assert.deepEqual(byHash.map((t) => t.hash), [hash]);
    assert.equal(byHash[0].height, height);
    assert.equal(byHash[0].code, 0);
    const bySender = await client.searchTx(`message.sender='${alice.address}'`);
    assert.ok(bySender.some((t) => t.hash === hash), "message.sender query finds the tx");
    const byHeight = await client.searchTx([{ key: "tx.height", value: height }]);
    assert.ok(byHeight.some((t) => t.hash === hash), "tx.height query finds the tx");
  });

  test("12. an empty tx_search result is []", async () => {
    assert.deepEqual(await client.searchTx(`message.sender='${freshAddress()}'`), []);
  });

  test("amino signer (Secp256k1HdWallet, SIGN_MODE_LEGACY_AMINO_JSON) sends too", async () => {
    const to = freshAddress();
    const memo = "amino & <escape> check";
    const res = await bob.signing.sendTokens(bob.address, to, [{ denom: DENOM, amount: "777" }], "auto", memo);
    assert.equal(res.code, 0, `code ${res.code} log ${res.rawLog}`);
    const decoded = decodeTxRaw((await client.getTx(res.transactionHash)).tx);
    assert.equal(decoded.authInfo.signerInfos[0].modeInfo.single.mode, SignMode.SIGN_MODE_LEGACY_AMINO_JSON);
    assert.equal(decoded.body.memo, memo);
    assert.deepEqual(await client.getBalance(to, DENOM), { denom: DENOM, amount: "777" });
  });

  test("WebSocket: Comet38Client over WebsocketClient sees the tx via subscribeTx", async () => {
    const msg = {
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: alice.address, toAddress: freshAddress(), amount: [{ denom: DENOM, amount: "5" }] },
    };
    const signed = await alice.signing.sign(alice.address, [msg], calculateFee(200_000, GAS_PRICE), "ws");
    const txBytes = TxRaw.encode(signed).finish();
    const hash = txHashHex(txBytes);
    // Same query shape Keplr's TendermintTxTracer uses: tm.event='Tx' AND tx.hash='<HEX>' (see wstx.mjs).
    const sub = subscribeTxByHash(RPC, hash);
    try {
      await withTimeout(sub.subscribed, 15_000, "WebSocket connect + subscribe");
      const res = await alice.signing.broadcastTx(txBytes);
      assert.equal(res.code, 0, res.rawLog);
      const ev = await sub.event;
      assert.equal(sub.eventHashHex(ev), hash);
      assert.equal(ev.height, res.height);
      assert.equal(ev.result.code, 0);
      assert.equal(toHex(ev.tx), toHex(txBytes));
      assert.deepEqual(sub.errors, []);
    } finally {
      sub.close();
    }
  });

  // ---- Keplr's endpoint probes --------------------------------------------------
  test("Keplr checkRPCConnectivity (GET /status + WebSocket /websocket)", async () => {
    await checkRPCConnectivity(CHAIN_ID, RPC, (url) => new WebSocket(url));
  });

  test("Keplr checkRestConnectivity (GET /cosmos/base/tendermint/v1beta1/node_info)", { skip: SKIP_REST && "OPENLEDGER_E2E_SKIP_REST=1" }, async () => {
    await checkRestConnectivity(CHAIN_ID, REST);
  });
});

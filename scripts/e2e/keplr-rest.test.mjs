// Keplr's REST (LCD) calls against a running dev chain, with the request shapes Keplr sends and the response
// fields it reads. Keplr signs sends with amino
// (SIGN_MODE_LEGACY_AMINO_JSON), simulates with a pubkey-less TxRaw and broadcasts over REST.
//
//   OPENLEDGER_E2E=1 OPENLEDGER_RPC=… OPENLEDGER_REST=… node --test keplr-rest.test.mjs
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";

import { Secp256k1HdWallet, makeCosmoshubPath } from "@cosmjs/amino";
import { toBase64 } from "@cosmjs/encoding";
import { SigningStargateClient, calculateFee } from "@cosmjs/stargate";
import { TxRaw, TxBody, AuthInfo, Fee } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { Any } from "cosmjs-types/google/protobuf/any";

import {
  CHAIN_ID,
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
} from "./chain-env.mjs";

/** JSON over REST; resolves to { status, body, headers } and never throws on non-2xx. */
async function rest(path, { method = "GET", body, headers = {} } = {}) {
  const res = await fetch(`${REST}${path}`, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { unparsed: text };
  }
  return { status: res.status, body: json, headers: res.headers };
}

/** Account number and sequence the way Keplr reads them: 404 means a new account (0, 0). */
async function restAccount(address) {
  const { status, body } = await rest(`/cosmos/auth/v1beta1/accounts/${address}`);
  if (status === 404) return { accountNumber: 0, sequence: 0 };
  assert.equal(status, 200, JSON.stringify(body));
  return { accountNumber: Number(body.account.account_number), sequence: Number(body.account.sequence) };
}

const sendMsg = (from, to, amount) => ({
  typeUrl: "/cosmos.bank.v1beta1.MsgSend",
  value: { fromAddress: from, toAddress: to, amount: [{ denom: DENOM, amount }] },
});

describe(`Keplr REST flow against ${REST} (${CHAIN_ID})`, { skip: UNREACHABLE ?? false }, () => {
  let wallet; // amino, as Keplr's own send UI signs
  let alice;
  let offline; // SigningStargateClient.offline: signs with account data read over REST, never touches RPC

  before(async () => {
    wallet = await Secp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: PREFIX, hdPaths: [makeCosmoshubPath(0)] });
    alice = (await wallet.getAccounts())[0].address;
    offline = await SigningStargateClient.offline(wallet);
  });

  /** Keplr's makeTx: account from REST, amino sign, TxRaw bytes. */
  async function keplrSign(msgs, fee, memo, sequenceOffset = 0) {
    const { accountNumber, sequence } = await restAccount(alice);
    const signed = await offline.sign(alice, msgs, fee, memo, {
      accountNumber,
      sequence: sequence + sequenceOffset,
      chainId: CHAIN_ID,
    });
    return TxRaw.encode(signed).finish();
  }

  test("accounts: a BaseAccount with string numbers; an unknown address is 404 with a gRPC-style error", async () => {
    const known = await rest(`/cosmos/auth/v1beta1/accounts/${alice}`);
    assert.equal(known.status, 200);
    const account = known.body.account;
    assert.equal(account["@type"], "/cosmos.auth.v1beta1.BaseAccount");
    assert.equal(account.address, alice);
    assert.match(account.account_number, /^\d+$/);
    assert.match(account.sequence, /^\d+$/);

    const unknown = await rest(`/cosmos/auth/v1beta1/accounts/${freshAddress()}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 5, "gRPC NotFound");
    assert.equal(typeof unknown.body.message, "string");
    assert.deepEqual(unknown.body.details, []);

    const garbage = await rest(`/cosmos/auth/v1beta1/accounts/not-an-address`);
    assert.equal(garbage.status, 400);
    assert.equal(garbage.body.code, 3, "gRPC InvalidArgument");
  });

  test("balances with pagination.limit=1000: SDK shape, next_key null", async () => {
    const { status, body } = await rest(`/cosmos/bank/v1beta1/balances/${alice}?pagination.limit=1000`);
    assert.equal(status, 200);
    const open = body.balances.find((c) => c.denom === DENOM);
    assert.ok(open && BigInt(open.amount) > 0n, JSON.stringify(body));
    assert.equal(body.pagination.next_key, null);
    assert.match(body.pagination.total, /^\d+$/);

    const empty = await rest(`/cosmos/bank/v1beta1/balances/${freshAddress()}`);
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.body.balances, []);
  });

  test("simulate takes Keplr's tx: no public key, amino mode, zero signature, no gas", async () => {
    const { sequence } = await restAccount(alice);
    const body = TxBody.fromPartial({
      messages: [Any.fromPartial({
        typeUrl: "/cosmos.bank.v1beta1.MsgSend",
        value: MsgSend.encode(MsgSend.fromPartial({
          fromAddress: alice, toAddress: freshAddress(), amount: [{ denom: DENOM, amount: "1" }],
        })).finish(),
      })],
      memo: "",
    });
    const authInfo = AuthInfo.fromPartial({
      signerInfos: [{ modeInfo: { single: { mode: SignMode.SIGN_MODE_LEGACY_AMINO_JSON } }, sequence: BigInt(sequence) }],
      fee: Fee.fromPartial({ amount: [{ denom: DENOM, amount: "1" }] }),
    });
    const txBytes = TxRaw.encode(TxRaw.fromPartial({
      bodyBytes: TxBody.encode(body).finish(),
      authInfoBytes: AuthInfo.encode(authInfo).finish(),
      signatures: [new Uint8Array(64)],
    })).finish();
    const { status, body: res } = await rest("/cosmos/tx/v1beta1/simulate", {
      method: "POST",
      body: { tx_bytes: toBase64(txBytes) },
    });
    assert.equal(status, 200, JSON.stringify(res));
    const gasUsed = parseInt(res.gas_info.gas_used, 10);
    assert.ok(gasUsed > 20_000 && gasUsed < 500_000, `gas_used ${res.gas_info.gas_used}`);
    assert.ok(Array.isArray(res.result.events), "result.events");
  });

  test("broadcast an amino-signed send over REST (SYNC), then look it up by hash and by events", async () => {
    const to = freshAddress();
    const txBytes = await keplrSign([sendMsg(alice, to, "4321")], calculateFee(120_000, GAS_PRICE), "keplr rest");
    const broadcast = await rest("/cosmos/tx/v1beta1/txs", {
      method: "POST",
      body: { tx_bytes: toBase64(txBytes), mode: "BROADCAST_MODE_SYNC" },
    });
    assert.equal(broadcast.status, 200, JSON.stringify(broadcast.body));
    const sync = broadcast.body.tx_response;
    assert.equal(sync.code, 0, sync.raw_log);
    assert.equal(sync.txhash, txHashHex(txBytes));
    assert.equal(sync.height, "0", "SYNC answers before inclusion");

    const found = await waitFor(async () => {
      const r = await rest(`/cosmos/tx/v1beta1/txs/${sync.txhash}`);
      return r.status === 200 ? r.body : null;
    }, { what: `GET /cosmos/tx/v1beta1/txs/${sync.txhash}` });
    assert.equal(found.tx_response.txhash, sync.txhash);
    assert.equal(found.tx_response.code, 0);
    assert.ok(Number(found.tx_response.height) > 0);
    assert.equal(found.tx.body.memo, "keplr rest");
    assert.equal(found.tx.body.messages[0]["@type"], "/cosmos.bank.v1beta1.MsgSend");
    assert.equal(found.tx.body.messages[0].to_address, to);
    assert.equal(found.tx.auth_info.signer_infos[0].mode_info.single.mode, "SIGN_MODE_LEGACY_AMINO_JSON");

    const balance = await rest(`/cosmos/bank/v1beta1/balances/${to}/by_denom?denom=${DENOM}`);
    assert.deepEqual(balance.body.balance, { denom: DENOM, amount: "4321" });

    // SDK 0.50 takes `query=`; older clients send `events=` (repeatable). Both find the tx.
    const q = encodeURIComponent(`message.sender='${alice}'`);
    for (const path of [
      `/cosmos/tx/v1beta1/txs?query=${q}&pagination.limit=100&order_by=ORDER_BY_DESC`,
      `/cosmos/tx/v1beta1/txs?events=${encodeURIComponent(`transfer.recipient='${to}'`)}`,
    ]) {
      const { status, body } = await rest(path);
      assert.equal(status, 200, `${path}: ${JSON.stringify(body)}`);
      assert.ok(body.tx_responses.some((t) => t.txhash === sync.txhash), `${path} finds the tx`);
      assert.equal(body.txs.length, body.tx_responses.length);
    }
  });

  test("a replayed sequence over REST answers code 32 in tx_response (HTTP 200), as the SDK does", async () => {
    const txBytes = await keplrSign([sendMsg(alice, freshAddress(), "1")], calculateFee(120_000, GAS_PRICE), "", -1);
    const { status, body } = await rest("/cosmos/tx/v1beta1/txs", {
      method: "POST",
      body: { tx_bytes: toBase64(txBytes), mode: "BROADCAST_MODE_SYNC" },
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.tx_response.code, 32);
    assert.equal(body.tx_response.codespace, "sdk");
    assert.match(body.tx_response.raw_log, /sequence/);
  });

  test("malformed broadcast bodies are 400s, not crashes", async () => {
    for (const bad of [{ tx_bytes: "%%%", mode: "BROADCAST_MODE_SYNC" }, { mode: "BROADCAST_MODE_SYNC" }]) {
      const { status, body } = await rest("/cosmos/tx/v1beta1/txs", { method: "POST", body: bad });
      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(body.code, 3);
    }
    const height = await fetch(`${RPC}/status`).then((r) => r.json()).then((s) => s.result.sync_info.latest_block_height);
    assert.ok(Number(height) > 0, "the node still answers");
  });

  test("staking and distribution queries Keplr's UI makes answer valid empty results", async () => {
    const delegations = await rest(`/cosmos/staking/v1beta1/delegations/${alice}?pagination.limit=1000`);
    assert.equal(delegations.status, 200);
    assert.deepEqual(delegations.body.delegation_responses, []);
    const validators = await rest(`/cosmos/staking/v1beta1/validators?pagination.limit=1000&status=BOND_STATUS_BONDED`);
    assert.equal(validators.status, 200);
    assert.ok(Array.isArray(validators.body.validators));
    const pool = await rest(`/cosmos/staking/v1beta1/pool`);
    assert.match(pool.body.pool.bonded_tokens, /^\d+$/);
    const params = await rest(`/cosmos/staking/v1beta1/params`);
    assert.match(params.body.params.unbonding_time, /^\d+s$/);
    const rewards = await rest(`/cosmos/distribution/v1beta1/delegators/${alice}/rewards`);
    assert.equal(rewards.status, 200);
    assert.deepEqual(rewards.body.rewards, []);
  });

  test("CORS: REST answers a browser preflight from any origin", async () => {
    const res = await fetch(`${REST}/cosmos/tx/v1beta1/simulate`, {
      method: "OPTIONS",
      headers: {
        origin: "chrome-extension://dmkamcknogkgcdfhhbddcghachkejeap",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    assert.ok(res.status === 200 || res.status === 204, `preflight status ${res.status}`);
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    // "*" is a valid wildcard for requests without credentials (Fetch standard), which is all Keplr sends.
    assert.match(res.headers.get("access-control-allow-methods") ?? "", /^\*$|POST/i);
  });
});

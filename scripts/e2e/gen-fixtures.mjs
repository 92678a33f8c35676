#!/usr/bin/env node
// Generates abci-app/tests/fixtures/cosmjs-txs.json: real transactions signed by cosmjs 0.38.1, which the node's
// Rust conformance tests decode, verify and replay.
//
//   node gen-fixtures.mjs            (re)write the fixture file
//   node gen-fixtures.mjs --check    exit 1 if the committed file differs from what would be generated
//   node gen-fixtures.mjs --stdout   print the JSON instead of writing it
//
// Everything is offline and deterministic: keys come from a fixed BIP-39 test mnemonic, signer data (account
// number, sequence, chain id) is passed explicitly, and secp256k1 signatures are RFC 6979 (deterministic nonce),
// so re-running yields byte-identical output.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, resolve, relative } from "node:path";
import { fileURLToPath } from "node:url";

import {
  Secp256k1HdWallet,
  makeCosmoshubPath,
  makeSignDoc as makeAminoSignDoc,
  serializeSignDoc,
  decodeSignature,
} from "@cosmjs/amino";
import { DirectSecp256k1HdWallet, Registry, makeSignBytes, makeSignDoc } from "@cosmjs/proto-signing";
import { AminoTypes, SigningStargateClient, createDefaultAminoConverters, defaultRegistryTypes } from "@cosmjs/stargate";
import { Secp256k1, Secp256k1Signature, sha256 } from "@cosmjs/crypto";
import { fromBase64, toBase64, toHex } from "@cosmjs/encoding";
import { TxRaw, TxBody, AuthInfo } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { SimulateRequest, SimulateResponse } from "cosmjs-types/cosmos/tx/v1beta1/service";
import { QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { MsgVote } from "cosmjs-types/cosmos/gov/v1beta1/tx";
import { VoteOption } from "cosmjs-types/cosmos/gov/v1beta1/gov";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, "..", "..");
export const FIXTURE_PATH = resolve(REPO_ROOT, "abci-app", "tests", "fixtures", "cosmjs-txs.json");

// ---- fixed facts ------------------------------------------------------------------------------------------------
// BIP-39 test vector mnemonic; publicly known, for dev/test only. Never fund it on a real network.
export const MNEMONIC =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
export const PREFIX = "open";
export const CHAIN_ID = "openledger-test-1";
const FEE_DENOM = "uopen";
const MIN_GAS_PRICE = "0.025uopen";
// name -> HD index and genesis account number (null = not in genesis)
const ACCOUNTS = [
  { name: "alice", index: 0, accountNumber: 0 },
  { name: "bob", index: 1, accountNumber: 1 },
  { name: "dave", index: 2, accountNumber: 2 },
  { name: "carol", index: 3, accountNumber: null },
];
const DEFAULT_FEE = { amount: [{ denom: FEE_DENOM, amount: "5000" }], gas: "200000" };

const coins = (amount) => [{ denom: FEE_DENOM, amount: String(amount) }];
const hdPathString = (i) => `m/44'/118'/0'/0/${i}`;
const hexUpper = (bytes) => toHex(bytes).toUpperCase();
const txHash = (bytes) => hexUpper(sha256(bytes));

// ---- generation -------------------------------------------------------------------------------------------------
export async function generate() {
  const hdPaths = ACCOUNTS.map((a) => makeCosmoshubPath(a.index));
  const directWallet = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: PREFIX, hdPaths });
  const aminoWallet = await Secp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: PREFIX, hdPaths });

  const directAccounts = await directWallet.getAccounts();
  const aminoAccounts = await aminoWallet.getAccounts();
  const acct = {};
  ACCOUNTS.forEach((a, i) => {
    const d = directAccounts[i];
    if (d.address !== aminoAccounts[i].address) throw new Error("direct/amino wallets disagree");
    if (d.pubkey.length !== 33) throw new Error("expected a 33-byte compressed pubkey");
    acct[a.name] = { ...a, address: d.address, pubkey: d.pubkey };
  });

  const registry = new Registry(defaultRegistryTypes);
  if (!registry.lookupType("/cosmos.gov.v1beta1.MsgVote")) registry.register("/cosmos.gov.v1beta1.MsgVote", MsgVote);
  const aminoTypes = new AminoTypes(createDefaultAminoConverters());
  const directClient = await SigningStargateClient.offline(directWallet, { registry, aminoTypes });
  const aminoClient = await SigningStargateClient.offline(aminoWallet, { registry, aminoTypes });

  const msgSend = (from, to, amount) => ({
    typeUrl: "/cosmos.bank.v1beta1.MsgSend",
    value: { fromAddress: acct[from].address, toAddress: acct[to].address, amount: coins(amount) },
  });
  const msgMultiSend = (from, total, outputs) => ({
    typeUrl: "/cosmos.bank.v1beta1.MsgMultiSend",
    value: {
      inputs: [{ address: acct[from].address, coins: coins(total) }],
      outputs: outputs.map(([to, amount]) => ({ address: acct[to].address, coins: coins(amount) })),
    },
  });
  const msgVote = (voter, proposalId, option) => ({
    typeUrl: "/cosmos.gov.v1beta1.MsgVote",
    value: MsgVote.fromPartial({ proposalId: BigInt(proposalId), voter: acct[voter].address, option }),
  });

  // Human-readable summary of the messages (proto3 JSON-ish, snake_case as the SDK's REST would show).
  const summarize = (msgs) =>
    msgs.map(({ typeUrl, value }) => {
      switch (typeUrl) {
        case "/cosmos.bank.v1beta1.MsgSend":
          return { "@type": typeUrl, from_address: value.fromAddress, to_address: value.toAddress, amount: value.amount };
        case "/cosmos.bank.v1beta1.MsgMultiSend":
          return { "@type": typeUrl, inputs: value.inputs, outputs: value.outputs };
        case "/cosmos.gov.v1beta1.MsgVote":
          return {
            "@type": typeUrl,
            proposal_id: value.proposalId.toString(),
            voter: value.voter,
            option: "VOTE_OPTION_YES",
          };
        default:
          throw new Error(`no summary for ${typeUrl}`);
      }
    });

  const txs = [];

  // Signs with the real SigningStargateClient.sign() (explicit signer data => no network).
  async function signed({
    name,
    description,
    signer,
    mode = "direct",
    msgs,
    sequence,
    fee = DEFAULT_FEE,
    memo = "",
    chainId = CHAIN_ID,
    accountNumber = acct[signer].accountNumber,
    expect,
  }) {
    const client = mode === "amino" ? aminoClient : directClient;
    const signerData = { accountNumber, sequence, chainId };
    const txRaw = await client.sign(acct[signer].address, msgs, fee, memo, signerData);
    const txBytes = TxRaw.encode(txRaw).finish();

    // Independently rebuild the sign bytes and verify the signature, so a broken fixture cannot be committed.
    let signBytes;
    if (mode === "direct") {
      signBytes = makeSignBytes(makeSignDoc(txRaw.bodyBytes, txRaw.authInfoBytes, chainId, accountNumber));
    } else {
      const aminoMsgs = msgs.map((m) => aminoTypes.toAmino(m));
      signBytes = serializeSignDoc(makeAminoSignDoc(aminoMsgs, fee, chainId, memo, accountNumber, sequence));
    }
    const sigOk = await Secp256k1.verifySignature(
      Secp256k1Signature.fromFixedLength(txRaw.signatures[0]),
      sha256(signBytes),
      acct[signer].pubkey,
    );
    if (!sigOk) throw new Error(`${name}: signature does not verify against rebuilt sign bytes`);
    // Sanity: auth info carries the expected sequence and sign mode.
    const authInfo = AuthInfo.decode(txRaw.authInfoBytes);
    if (authInfo.signerInfos[0].sequence !== BigInt(sequence)) throw new Error(`${name}: sequence mismatch`);

    const entry = {
      name,
      description,
      signer,
      sign_mode: mode,
      account_number: accountNumber,
      sequence,
      tx_base64: toBase64(txBytes),
      hash: txHash(txBytes),
      msgs: summarize(msgs),
      memo,
      fee,
      signed_chain_id: chainId,
      sign_bytes_base64: toBase64(signBytes),
      expect,
    };
    txs.push(entry);
    return { entry, txRaw };
  }

  const OK = { check_tx: { code: 0 }, deliver_tx: { code: 0 } };

  // ---- valid alice sequence 0..3 -----------------------------------------------------------------------------
  await signed({
    name: "alice_send_seq0",
    description: "SIGN_MODE_DIRECT MsgSend alice -> carol 1000000uopen; creates carol's account (next account number)",
    signer: "alice",
    msgs: [msgSend("alice", "carol", 1000000)],
    sequence: 0,
    expect: OK,
  });
  await signed({
    name: "alice_send_seq1",
    description: "SIGN_MODE_DIRECT MsgSend alice -> bob 2000uopen (pubkey still included, as cosmjs always does)",
    signer: "alice",
    msgs: [msgSend("alice", "bob", 2000)],
    sequence: 1,
    expect: OK,
  });
  await signed({
    name: "alice_amino_send_seq2",
    description:
      "SIGN_MODE_LEGACY_AMINO_JSON (Secp256k1HdWallet) MsgSend alice -> bob 3000uopen; memo needs amino JSON " +
      "escaping of & < > (\\u0026 \\u003c \\u003e) in the sign bytes",
    signer: "alice",
    mode: "amino",
    msgs: [msgSend("alice", "bob", 3000)],
    sequence: 2,
    memo: "amino & <escape> check",
    expect: OK,
  });
  await signed({
    name: "alice_multisend_seq3",
    description: "SIGN_MODE_DIRECT MsgMultiSend input alice 5000uopen -> outputs bob 2000uopen, carol 3000uopen",
    signer: "alice",
    msgs: [msgMultiSend("alice", 5000, [["bob", 2000], ["carol", 3000]])],
    sequence: 3,
    expect: OK,
  });

  // ---- bob: valid pipelined pair, then rejections (each against bob's genesis state, sequence 0) -------------
  const bobSeq0 = await signed({
    name: "bob_send_seq0",
    description: "SIGN_MODE_DIRECT MsgSend bob -> alice 10uopen, sequence 0",
    signer: "bob",
    msgs: [msgSend("bob", "alice", 10)],
    sequence: 0,
    expect: OK,
  });
  await signed({
    name: "bob_send_seq1",
    description:
      "SIGN_MODE_DIRECT MsgSend bob -> alice 20uopen, sequence 1; CheckTx right after bob_send_seq0 (before a " +
      "block commits) must accept it (check state keeps the incremented sequence)",
    signer: "bob",
    msgs: [msgSend("bob", "alice", 20)],
    sequence: 1,
    expect: OK,
  });
  await signed({
    name: "bob_wrong_chain_id",
    description: "MsgSend bob -> alice 1uopen, sequence 0, signed for chain id 'wrong-chain' -> signature check fails",
    signer: "bob",
    msgs: [msgSend("bob", "alice", 1)],
    sequence: 0,
    chainId: "wrong-chain",
    expect: { check_tx: { code: 4, codespace: "sdk", note: "ErrUnauthorized: signature verification failed" } },
  });
  await signed({
    name: "bob_wrong_sequence",
    description: "MsgSend bob -> alice 1uopen with sequence 7 while the account is at 0",
    signer: "bob",
    msgs: [msgSend("bob", "alice", 1)],
    sequence: 7,
    expect: { check_tx: { code: 32, codespace: "sdk", note: "ErrWrongSequence: account sequence mismatch, expected 0, got 7" } },
  });

  // bob_bad_signature: bob_send_seq0's exact body/auth_info, signature byte 0 XOR 0x01 (the lowest bit of r's
  // most significant byte; s is untouched, so the signature stays low-S and well-formed).
  {
    const { entry: base, txRaw } = bobSeq0;
    const sig = Uint8Array.from(txRaw.signatures[0]);
    sig[0] ^= 0x01;
    const badRaw = TxRaw.fromPartial({ bodyBytes: txRaw.bodyBytes, authInfoBytes: txRaw.authInfoBytes, signatures: [sig] });
    const txBytes = TxRaw.encode(badRaw).finish();
    const stillOk = await Secp256k1.verifySignature(
      Secp256k1Signature.fromFixedLength(sig),
      sha256(fromBase64(base.sign_bytes_base64)),
      acct.bob.pubkey,
    );
    if (stillOk) throw new Error("bob_bad_signature: flipped signature still verifies");
    txs.push({
      ...base,
      name: "bob_bad_signature",
      description: "bob_send_seq0 with bit 0 of signature byte 0 flipped (TxRaw re-encoded; body/auth_info bytes unchanged)",
      tx_base64: toBase64(txBytes),
      hash: txHash(txBytes),
      expect: { check_tx: { code: 4, codespace: "sdk", note: "ErrUnauthorized: signature verification failed" } },
    });
  }

  await signed({
    name: "bob_insufficient_fee",
    description: "MsgSend bob -> alice 1uopen, fee 1uopen for gas 200000 (min gas price 0.025uopen needs 5000uopen)",
    signer: "bob",
    msgs: [msgSend("bob", "alice", 1)],
    sequence: 0,
    fee: { amount: coins(1), gas: "200000" },
    expect: { check_tx: { code: 13, codespace: "sdk", note: "ErrInsufficientFee (CheckTx only; min gas price is a local mempool setting)" } },
  });
  await signed({
    name: "bob_out_of_gas",
    description:
      "MsgSend bob -> alice 1uopen, fee 100uopen, gas limit 1000: fee passes the min-gas-price check (25uopen) " +
      "but the ante's 10 gas/byte tx-size charge alone exceeds 1000",
    signer: "bob",
    msgs: [msgSend("bob", "alice", 1)],
    sequence: 0,
    fee: { amount: coins(100), gas: "1000" },
    expect: { check_tx: { code: 11, codespace: "sdk", note: "ErrOutOfGas in the ante handler" } },
  });
  await signed({
    name: "bob_memo_too_long",
    description: "MsgSend bob -> alice 1uopen with a 300-byte memo (max 256)",
    signer: "bob",
    msgs: [msgSend("bob", "alice", 1)],
    sequence: 0,
    memo: "x".repeat(300),
    expect: { check_tx: { code: 12, codespace: "sdk", note: "ErrMemoTooLarge" } },
  });
  await signed({
    name: "bob_unknown_msg",
    description:
      "one /cosmos.gov.v1beta1.MsgVote (proposal 1, voter bob, VOTE_OPTION_YES): a message type the chain does not route",
    signer: "bob",
    msgs: [msgVote("bob", 1, VoteOption.VOTE_OPTION_YES)],
    sequence: 0,
    expect: {
      check_tx: {
        code_nonzero: true,
        codespace: "sdk",
        note:
          "SDK 0.50 rejects an unresolvable Any type URL at decode with code 2 (ErrTxDecode); 'unrecognized message' " +
          "routing errors are code 6 (ErrUnknownRequest). Either is acceptable; the tx must never execute.",
      },
    },
  });
  await signed({
    name: "dave_insufficient_funds",
    description:
      "MsgSend dave -> alice 1000000000uopen; dave holds only 10000uopen at genesis: the fee (5000) is payable so " +
      "CheckTx passes, the message fails in FinalizeBlock (fee and sequence increment still persist)",
    signer: "dave",
    msgs: [msgSend("dave", "alice", 1000000000)],
    sequence: 0,
    expect: { check_tx: { code: 0 }, deliver_tx: { code: 5, codespace: "sdk", note: "ErrInsufficientFunds" } },
  });

  // ---- simulate: capture the exact SimulateRequest that SigningStargateClient.simulate() sends ------------------
  {
    let captured = null;
    const fakeComet = {
      async abciQuery({ path, data }) {
        if (path === "/cosmos.auth.v1beta1.Query/Account") {
          const account = {
            typeUrl: "/cosmos.auth.v1beta1.BaseAccount",
            value: BaseAccount.encode(
              BaseAccount.fromPartial({ address: acct.alice.address, accountNumber: 0n, sequence: 0n }),
            ).finish(),
          };
          return { code: 0, log: "", value: QueryAccountResponse.encode({ account }).finish(), height: 1 };
        }
        if (path === "/cosmos.tx.v1beta1.Service/Simulate") {
          captured = { path, data: Uint8Array.from(data) };
          const value = SimulateResponse.encode(
            SimulateResponse.fromPartial({ gasInfo: { gasWanted: 0n, gasUsed: 50000n } }),
          ).finish();
          return { code: 0, log: "", value, height: 1 };
        }
        throw new Error(`fake comet client: unexpected abci_query ${path}`);
      },
      disconnect() {},
    };
    const simClient = SigningStargateClient.createWithSigner(fakeComet, directWallet, { registry, aminoTypes });
    const msgs = [msgSend("alice", "bob", 1)];
    const gas = await simClient.simulate(acct.alice.address, msgs, "");
    if (gas !== 50000 || !captured) throw new Error("simulate capture failed");
    const txBytes = SimulateRequest.decode(captured.data).txBytes;
    const authInfo = AuthInfo.decode(TxRaw.decode(txBytes).authInfoBytes);
    const si = authInfo.signerInfos[0];
    if (si.modeInfo?.single?.mode !== 0 || !si.publicKey || authInfo.fee?.gasLimit !== 0n) {
      throw new Error("simulate tx does not have the expected shape");
    }
    txs.push({
      name: "simulate_alice_send",
      description:
        "UNSIGNED tx exactly as SigningStargateClient.simulate() sends it (captured from the real client): " +
        "MsgSend alice -> bob 1uopen, signer_infos[0] = {secp256k1 pubkey, mode_info.single.mode = " +
        "SIGN_MODE_UNSPECIFIED, sequence 0}, fee {} (no coins, gas 0), signatures = [empty bytes]. " +
        "For /cosmos.tx.v1beta1.Service/Simulate only: skip signature verification and min-gas checks, unlimited " +
        "gas meter, return gas_info.gas_used. simulate_request_base64 is the abci_query data.",
      signer: "alice",
      sign_mode: "none",
      account_number: 0,
      sequence: 0,
      tx_base64: toBase64(txBytes),
      hash: txHash(txBytes),
      msgs: summarize(msgs),
      memo: "",
      fee: { amount: [], gas: "0" },
      signed_chain_id: null,
      sign_bytes_base64: null,
      simulate_path: captured.path,
      simulate_request_base64: toBase64(captured.data),
      expect: { simulate: { code: 0, gas_used_positive: true } },
    });
  }

  const accounts = {};
  for (const a of ACCOUNTS) {
    accounts[a.name] = {
      address: acct[a.name].address,
      pubkey_base64: toBase64(acct[a.name].pubkey),
      account_number: a.accountNumber,
      hd_path: hdPathString(a.index),
    };
  }

  return {
    _comment:
      "GENERATED by scripts/e2e/gen-fixtures.mjs (cosmjs 0.38.1) - do not edit; regenerate with " +
      "`cd scripts/e2e && npm run gen-fixtures`. Dev/test mnemonic only.",
    chain_id: CHAIN_ID,
    mnemonic: MNEMONIC,
    bech32_prefix: PREFIX,
    fee_denom: FEE_DENOM,
    min_gas_price: MIN_GAS_PRICE,
    genesis_assumptions:
      "alice (account 0), bob (1), dave (2) exist at genesis with sequence 0 and no stored pubkey; dave holds " +
      "exactly 10000uopen; alice and bob hold enough uopen for the sends plus 5000uopen fees (e.g. 100000000000); " +
      "carol is not in genesis (created by alice_send_seq0). Txs of one signer are listed in sequence order; " +
      "each bob_* rejection case is meant against bob's genesis state (sequence 0).",
    cosmjs_version: "0.38.1",
    accounts,
    txs,
  };
}

export function render(fixture) {
  return JSON.stringify(fixture, null, 2) + "\n";
}

async function main() {
  const args = new Set(process.argv.slice(2));
  const text = render(await generate());
  const rel = relative(process.cwd(), FIXTURE_PATH) || FIXTURE_PATH;
  if (args.has("--stdout")) {
    process.stdout.write(text);
  } else if (args.has("--check")) {
    let current = null;
    try {
      current = readFileSync(FIXTURE_PATH, "utf8");
    } catch {
      // missing file
    }
    if (current !== text) {
      console.error(
        `${rel} is ${current === null ? "missing" : "out of date"}; regenerate with: cd scripts/e2e && npm run gen-fixtures`,
      );
      process.exit(1);
    }
    console.log(`${rel} is up to date (${JSON.parse(text).txs.length} txs)`);
  } else {
    mkdirSync(dirname(FIXTURE_PATH), { recursive: true });
    writeFileSync(FIXTURE_PATH, text);
    console.log(`wrote ${rel} (${JSON.parse(text).txs.length} txs)`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

// Offline checks (no node needed): `npm run test:offline` (node --test).
//  - the committed cosmjs tx fixtures are exactly what gen-fixtures.mjs generates (`--check`);
//  - the fixtures are internally consistent, cross-checked with independent code (OpenSSL secp256k1 via
//    node:crypto, hand-rolled protobuf SignDoc and bech32) rather than cosmjs itself;
//  - localnet/keplr-chain-info.json passes Keplr's validateBasicChainInfoType.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, createPublicKey, verify as cryptoVerify } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { FIXTURE_PATH } from "./gen-fixtures.mjs";
import { loadChainInfo, validateOffline } from "./validate-chain-info.mjs";
import { validateBasicChainInfoType } from "@keplr-wallet/chain-validator";

const HERE = dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(readFileSync(FIXTURE_PATH, "utf8"));
const byName = Object.fromEntries(fixture.txs.map((t) => [t.name, t]));

// ---- independent helpers ---------------------------------------------------------------------------------------
const sha256 = (b) => createHash("sha256").update(b).digest();
const b64 = (s) => Buffer.from(s, "base64");

function bech32Encode(hrp, data8) {
  const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  const polymod = (values) => {
    let chk = 1;
    for (const v of values) {
      const top = chk >>> 25;
      chk = ((chk & 0x1ffffff) << 5) ^ v;
      for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i];
    }
    return chk >>> 0;
  };
  const data5 = [];
  let acc = 0;
  let bits = 0;
  for (const byte of data8) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      data5.push((acc >>> bits) & 31);
    }
  }
  if (bits > 0) data5.push((acc << (5 - bits)) & 31);
  const hrpExp = [...hrp].map((c) => c.charCodeAt(0) >> 5).concat([0], [...hrp].map((c) => c.charCodeAt(0) & 31));
  const mod = polymod([...hrpExp, ...data5, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = [0, 1, 2, 3, 4, 5].map((i) => (mod >>> (5 * (5 - i))) & 31);
  return hrp + "1" + [...data5, ...checksum].map((d) => CHARSET[d]).join("");
}

const addressOf = (pubkey33) =>
  bech32Encode("open", createHash("ripemd160").update(sha256(pubkey33)).digest());

// Minimal protobuf reader: returns [{field, wire, value}] (value = Buffer for LEN, BigInt for VARINT).
function readProto(buf) {
  const out = [];
  let i = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ field, wire, value: buf.subarray(i, i + len) });
      i += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}
const fields = (buf, n) => readProto(buf).filter((f) => f.field === n).map((f) => f.value);
const field1 = (buf, n) => fields(buf, n)[0];

function encodeVarint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}
const lenField = (n, bytes) => Buffer.concat([encodeVarint((n << 3) | 2), encodeVarint(bytes.length), bytes]);
// cosmos.tx.v1beta1.SignDoc{body_bytes=1, auth_info_bytes=2, chain_id=3, account_number=4}
function signDocBytes(body, authInfo, chainId, accountNumber) {
  const parts = [lenField(1, body), lenField(2, authInfo), lenField(3, Buffer.from(chainId))];
  if (accountNumber !== 0) parts.push(Buffer.concat([encodeVarint((4 << 3) | 0), encodeVarint(accountNumber)]));
  return Buffer.concat(parts);
}

function secp256k1Verify(pubkey33, message, sig64) {
  // SPKI for an EC secp256k1 key with a compressed point; OpenSSL accepts compressed points.
  const spki = Buffer.concat([Buffer.from("3036301006072a8648ce3d020106052b8104000a032200", "hex"), pubkey33]);
  const key = createPublicKey({ key: spki, format: "der", type: "spki" });
  return cryptoVerify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, sig64);
}
const SECP256K1_N = BigInt("0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141");

function decodeTx(t) {
  const raw = b64(t.tx_base64);
  const body = field1(raw, 1);
  const authInfo = field1(raw, 2);
  const sigs = fields(raw, 3);
  return { raw, body, authInfo, sigs };
}

// Amino JSON sign doc as the SDK rebuilds it: keys sorted recursively, then & < > escaped.
function sortedJson(v) {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sortedJson(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}
const aminoEscape = (s) => s.replace(/&/g, "\\u0026").replace(/</g, "\\u003c").replace(/>/g, "\\u003e");

// ---- fixture tests ----------------------------------------------------------------------------------------------
test("fixtures: committed cosmjs-txs.json equals `gen-fixtures.mjs --check` output", () => {
  // Throws (non-zero exit) when the committed file is missing or differs.
  const out = execFileSync(process.execPath, [join(HERE, "gen-fixtures.mjs"), "--check"], { encoding: "utf8" });
  assert.match(out, /is up to date/);
});

test("fixtures: top-level facts", () => {
  assert.equal(fixture.chain_id, "openledger-test-1");
  assert.equal(
    fixture.mnemonic,
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
  );
  assert.deepEqual(Object.keys(fixture.accounts), ["alice", "bob", "dave", "carol"]);
  assert.deepEqual(
    Object.values(fixture.accounts).map((a) => [a.account_number, a.hd_path]),
    [
      [0, "m/44'/118'/0'/0/0"],
      [1, "m/44'/118'/0'/0/1"],
      [2, "m/44'/118'/0'/0/2"],
      [null, "m/44'/118'/0'/0/3"],
    ],
  );
  assert.deepEqual(fixture.txs.map((t) => t.name), [
    "alice_send_seq0",
    "alice_send_seq1",
    "alice_amino_send_seq2",
    "alice_multisend_seq3",
    "bob_send_seq0",
    "bob_send_seq1",
    "bob_wrong_chain_id",
    "bob_wrong_sequence",
    "bob_bad_signature",
    "bob_insufficient_fee",
    "bob_out_of_gas",
    "bob_memo_too_long",
    "bob_unknown_msg",
    "dave_insufficient_funds",
    "simulate_alice_send",
  ]);
});

test("fixtures: addresses = bech32('open', ripemd160(sha256(pubkey)))", () => {
  // Known cosmoshub address of the BIP-39 test mnemonic at m/44'/118'/0'/0/0 is
  // cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4: same 20 bytes, different HRP.
  const aliceRaw = createHash("ripemd160").update(sha256(b64(fixture.accounts.alice.pubkey_base64))).digest();
  assert.equal(bech32Encode("cosmos", aliceRaw), "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4");
  for (const [name, a] of Object.entries(fixture.accounts)) {
    const pk = b64(a.pubkey_base64);
    assert.equal(pk.length, 33, name);
    assert.ok(pk[0] === 2 || pk[0] === 3, `${name}: compressed point prefix`);
    assert.equal(addressOf(pk), a.address, name);
  }
});

for (const t of fixture.txs) {
  test(`fixtures: ${t.name} is well-formed; ${t.sign_mode === "none" ? "unsigned simulate tx" : t.name === "bob_bad_signature" ? "signature FAILS (OpenSSL)" : "signature verifies (OpenSSL)"}`, () => {
    const { raw, body, authInfo, sigs } = decodeTx(t);
    assert.equal(t.hash, sha256(raw).toString("hex").toUpperCase());
    // TxRaw must be exactly body(1), auth_info(2), signatures(3) in canonical order.
    assert.deepEqual(readProto(raw).map((f) => f.field), [1, 2, 3]);
    const signer = fixture.accounts[t.signer];
    const signerInfo = field1(authInfo, 1);
    const anyPk = field1(signerInfo, 1);
    assert.equal(field1(anyPk, 1).toString(), "/cosmos.crypto.secp256k1.PubKey");
    assert.deepEqual(field1(field1(anyPk, 2), 1), b64(signer.pubkey_base64));
    const mode = field1(field1(field1(signerInfo, 2), 1), 1) ?? 0n;
    const seq = field1(signerInfo, 3) ?? 0n;
    assert.equal(seq, BigInt(t.sequence));
    assert.equal(t.account_number, signer.account_number);
    const feeMsg = field1(authInfo, 2);
    const gas = field1(feeMsg, 2) ?? 0n;
    assert.equal(gas.toString(), t.fee.gas);
    assert.equal((field1(body, 2) ?? Buffer.alloc(0)).toString(), t.memo);
    const msgTypes = fields(body, 1).map((any) => field1(any, 1).toString());
    assert.deepEqual(msgTypes, t.msgs.map((m) => m["@type"]));

    if (t.sign_mode === "none") {
      assert.equal(mode, 0n, "SIGN_MODE_UNSPECIFIED");
      assert.equal(sigs.length, 1);
      assert.equal(sigs[0].length, 0, "empty signature");
      assert.equal(feeMsg.length, 0, "fee {}");
      const req = b64(t.simulate_request_base64);
      assert.deepEqual(field1(req, 2), raw, "SimulateRequest.tx_bytes (field 2) is the tx");
      return;
    }
    assert.equal(mode, t.sign_mode === "direct" ? 1n : 127n);
    assert.equal(sigs.length, 1);
    assert.equal(sigs[0].length, 64);
    const s = BigInt("0x" + sigs[0].subarray(32).toString("hex"));
    assert.ok(s <= SECP256K1_N / 2n, "low-S");

    let signBytes;
    if (t.sign_mode === "direct") {
      signBytes = signDocBytes(body, authInfo, t.signed_chain_id, t.account_number);
    } else {
      const doc = {
        account_number: String(t.account_number),
        chain_id: t.signed_chain_id,
        fee: t.fee,
        memo: t.memo,
        msgs: t.msgs.map((m) => {
          assert.equal(m["@type"], "/cosmos.bank.v1beta1.MsgSend");
          return { type: "cosmos-sdk/MsgSend", value: { from_address: m.from_address, to_address: m.to_address, amount: m.amount } };
        }),
        sequence: String(t.sequence),
      };
      signBytes = Buffer.from(aminoEscape(sortedJson(doc)));
    }
    assert.deepEqual(signBytes, b64(t.sign_bytes_base64), "independently rebuilt sign bytes");
    const ok = secp256k1Verify(b64(signer.pubkey_base64), signBytes, sigs[0]);
    assert.equal(ok, t.name !== "bob_bad_signature");
  });
}

test("fixtures: specific case properties", () => {
  assert.equal(byName.alice_amino_send_seq2.memo, "amino & <escape> check");
  assert.match(b64(byName.alice_amino_send_seq2.sign_bytes_base64).toString(), /amino \\u0026 \\u003cescape\\u003e check/);
  assert.equal(byName.bob_wrong_chain_id.signed_chain_id, "wrong-chain");
  assert.equal(byName.bob_wrong_sequence.sequence, 7);
  assert.equal(byName.bob_memo_too_long.memo.length, 300);
  assert.deepEqual(byName.bob_insufficient_fee.fee, { amount: [{ denom: "uopen", amount: "1" }], gas: "200000" });
  assert.deepEqual(byName.bob_out_of_gas.fee, { amount: [{ denom: "uopen", amount: "100" }], gas: "1000" });
  // out-of-gas must be caused by the 10 gas/byte size charge alone
  assert.ok(b64(byName.bob_out_of_gas.tx_base64).length * 10 > 1000);
  const good = decodeTx(byName.bob_send_seq0);
  const bad = decodeTx(byName.bob_bad_signature);
  assert.deepEqual(bad.body, good.body);
  assert.deepEqual(bad.authInfo, good.authInfo);
  const diff = [...good.sigs[0]].map((b, i) => b ^ bad.sigs[0][i]);
  assert.deepEqual(diff, [1, ...new Array(63).fill(0)]);
  assert.equal(byName.dave_insufficient_funds.msgs[0].amount[0].amount, "1000000000");
  const hashes = new Set(fixture.txs.map((t) => t.hash));
  assert.equal(hashes.size, fixture.txs.length, "all tx hashes distinct");
});

// ---- Keplr chain info ------------------------------------------------------------------------------------------
test("keplr: localnet/keplr-chain-info.json passes validateBasicChainInfoType (+ project invariants)", async () => {
  const ci = loadChainInfo();
  await validateOffline(ci);
  assert.equal(ci.chainId, "openledger-dev-1");
  assert.equal(ci.chainName, "OpenLedger Dev");
  assert.equal(ci.rpc, "http://127.0.0.1:26657");
  assert.equal(ci.rest, "http://127.0.0.1:1317");
  assert.deepEqual(ci.feeCurrencies[0].gasPriceStep, { low: 0.025, average: 0.03, high: 0.04 });
  // The dev chain runs CosmWasm; wasmd_0.24+ selects the /cosmwasm/wasm/v1 REST paths.
  assert.deepEqual(ci.features, ["cosmwasm", "wasmd_0.24+"]);
  assert.equal(ci.bech32Config.bech32PrefixAccAddr, fixture.bech32_prefix);
  assert.equal(ci.feeCurrencies[0].coinMinimalDenom, fixture.fee_denom);
});

test("keplr: the validator really rejects bad chain infos (sanity of the harness)", async () => {
  const ci = loadChainInfo();
  const bad = [
    { ...ci, chainName: "x".repeat(37) },
    { ...ci, rpc: "not a uri" },
    { ...ci, bip44: {} },
    { ...ci, currencies: [] },
    { ...ci, feeCurrencies: [{ ...ci.feeCurrencies[0], type: "cw20", contractAddress: "open1xyz" }] },
    { ...ci, feeCurrencies: [{ ...ci.feeCurrencies[0], gasPriceStep: { low: 0.04, average: 0.03, high: 0.02 } }] },
  ];
  for (const c of bad) {
    await assert.rejects(validateBasicChainInfoType(c, false), undefined, JSON.stringify(c).slice(0, 80));
  }
  await assert.rejects(validateOffline({ ...ci, bech32Config: { ...ci.bech32Config, bech32PrefixAccAddr: "cosmos" } }));
});

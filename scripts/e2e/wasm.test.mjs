// cosmjs 0.38.1 (@cosmjs/cosmwasm) against a running dev chain: the CosmWasm acceptance flow of issue 4.
//
//   cd scripts/e2e && npm run test:e2e      skips (does not fail) when no node answers; OPENLEDGER_E2E=1 fails
//
// Environment as dev-chain.test.mjs (chain-env.mjs): OPENLEDGER_RPC, OPENLEDGER_CHAIN_ID, OPENLEDGER_E2E.
// Uploads the committed test CW20 (abci-app/tests/wasm-contracts/artifacts/test_cw20.wasm, cw20-base 2.0 with
// its own entry points). Every run stores a new code id and fresh contracts, so it can be re-run on one chain.
// package.json pins @cosmjs/encoding's @scure/base to 2.2.0: from 2.3.0 `bech32.decode` rejects the `limit =
// Infinity` default of cosmjs 0.38.1's `fromBech32`, which `instantiate2Address()` uses ("limit: expected safe
// integer, got Infinity").
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";

import { Secp256k1HdWallet, makeCosmoshubPath } from "@cosmjs/amino";
import { SigningCosmWasmClient, CosmWasmClient, instantiate2Address } from "@cosmjs/cosmwasm";
import { sha256 } from "@cosmjs/crypto";
import { fromHex, toHex } from "@cosmjs/encoding";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { MsgStoreCode } from "cosmjs-types/cosmwasm/wasm/v1/tx";
import { CHAIN_ID, CLIENT_OPTS, MNEMONIC, PREFIX, RPC, UNREACHABLE, withTimeout } from "./chain-env.mjs";

const CW20 = new URL("../../abci-app/tests/wasm-contracts/artifacts/test_cw20.wasm", import.meta.url);

const attr = (events, type, key) =>
  events.find((e) => e.type === type)?.attributes.find((a) => a.key === key)?.value;

describe(`CosmWasm via @cosmjs/cosmwasm against ${RPC} (${CHAIN_ID})`, { skip: UNREACHABLE ?? false }, () => {
  const wasm = readFileSync(CW20);
  const checksum = toHex(sha256(wasm));
  let reader; // CosmWasmClient
  let alice; // { address, client: SigningCosmWasmClient (direct) }
  let bob; // { address, client: SigningCosmWasmClient (amino) }
  const s = {}; // shared between tests: codeId, contract

  before(async () => {
    const direct = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, {
      prefix: PREFIX,
      hdPaths: [makeCosmoshubPath(0)],
    });
    const amino = await Secp256k1HdWallet.fromMnemonic(MNEMONIC, {
      prefix: PREFIX,
      hdPaths: [makeCosmoshubPath(1)],
    });
    alice = {
      address: (await direct.getAccounts())[0].address,
      client: await SigningCosmWasmClient.connectWithSigner(RPC, direct, CLIENT_OPTS),
    };
    bob = {
      address: (await amino.getAccounts())[0].address,
      client: await SigningCosmWasmClient.connectWithSigner(RPC, amino, CLIENT_OPTS),
    };
    reader = await CosmWasmClient.connect(RPC);
  });

  after(() => {
    alice?.client.disconnect();
    bob?.client.disconnect();
    reader?.disconnect();
  });

  test("1. MsgStoreCode with a gzip'd CW20 (node zlib): code id from store_code.code_id, checksum of the raw wasm", async () => {
    const gz = gzipSync(wasm);
    assert.ok(gz.length < wasm.length);
    const msg = {
      typeUrl: "/cosmwasm.wasm.v1.MsgStoreCode",
      value: MsgStoreCode.fromPartial({ sender: alice.address, wasmByteCode: gz }),
    };
    const r = await alice.client.signAndBroadcast(alice.address, [msg], "auto");
    assert.equal(r.code, 0, r.rawLog);
    s.codeId = Number(attr(r.events, "store_code", "code_id"));
    assert.ok(s.codeId >= 1);
    assert.equal(attr(r.events, "store_code", "code_checksum"), checksum);
    const details = await reader.getCodeDetails(s.codeId);
    assert.equal(details.checksum, checksum);
    assert.equal(details.creator, alice.address);
    assert.deepEqual(Buffer.from(details.data), wasm, "Code returns the uncompressed wasm");
  });

  test("2. SigningCosmWasmClient.upload (cosmjs gzips itself) gives the same checksum", async () => {
    const r = await alice.client.upload(alice.address, wasm, "auto");
    assert.equal(r.checksum, checksum);
    assert.ok(r.codeId > s.codeId);
  });

  test("3. instantiate: address from instantiate._contract_address; getContract", async () => {
    const r = await alice.client.instantiate(
      alice.address,
      s.codeId,
      {
        name: "E2E Token",
        symbol: "ETOK",
        decimals: 6,
        initial_balances: [{ address: alice.address, amount: "1000000" }],
        mint: null,
        marketing: null,
      },
      "e2e cw20",
      "auto",
      { admin: alice.address },
    );
    s.contract = r.contractAddress;
    assert.match(s.contract, /^open1[0-9a-z]{58}$/);
    const c = await reader.getContract(s.contract);
    assert.equal(c.codeId, s.codeId);
    assert.equal(c.creator, alice.address);
    assert.equal(c.admin, alice.address);
    assert.equal(c.label, "e2e cw20");
    const history = await reader.getContractCodeHistory(s.contract);
    assert.equal(history.length, 1);
    assert.equal(history[0].operation, "Init");
  });

  test("4. execute a transfer (direct); queryContractSmart balances and token_info", async () => {
    const r = await alice.client.execute(
      alice.address,
      s.contract,
      { transfer: { recipient: bob.address, amount: "250" } },
      "auto",
    );
    assert.equal(attr(r.events, "wasm", "action"), "transfer");
    assert.equal(attr(r.events, "execute", "_contract_address"), s.contract);
    const bal = async (who) => (await reader.queryContractSmart(s.contract, { balance: { address: who } })).balance;
    assert.equal(await bal(bob.address), "250");
    assert.equal(await bal(alice.address), "999750");
    const info = await reader.queryContractSmart(s.contract, { token_info: {} });
    assert.equal(info.symbol, "ETOK");
    assert.equal(info.total_supply, "1000000");
    const raw = await reader.queryContractRaw(s.contract, new TextEncoder().encode("token_info"));
    assert.equal(JSON.parse(new TextDecoder().decode(raw)).decimals, 6);
  });

  test("5. execute signed as amino JSON (wasm/MsgExecuteContract, Keplr-style)", async () => {
    await bob.client.execute(bob.address, s.contract, { transfer: { recipient: alice.address, amount: "50" } }, "auto");
    const b = await reader.queryContractSmart(s.contract, { balance: { address: bob.address } });
    assert.equal(b.balance, "200");
  });

  test("6. a contract error is a failed tx with the contract's message; nothing changes", async () => {
    await assert.rejects(
      bob.client.execute(bob.address, s.contract, { transfer: { recipient: alice.address, amount: "999999" } }, {
        amount: [{ denom: "uopen", amount: "12500" }],
        gas: "500000",
      }),
      /overflow|Overflow|insufficient/i,
    );
    const b = await reader.queryContractSmart(s.contract, { balance: { address: bob.address } });
    assert.equal(b.balance, "200");
  });

  test("7. getCodes / getContracts / getContractsByCreator terminate (pagination present)", async () => {
    const codes = await withTimeout(reader.getCodes(), 15_000, "getCodes");
    assert.ok(codes.some((c) => c.id === s.codeId && c.checksum === checksum && c.creator === alice.address));
    const contracts = await withTimeout(reader.getContracts(s.codeId), 15_000, "getContracts");
    assert.deepEqual(contracts, [s.contract]);
    const mine = await withTimeout(reader.getContractsByCreator(alice.address), 15_000, "getContractsByCreator");
    assert.ok(mine.includes(s.contract));
  });

  test("8. instantiate2 lands at instantiate2Address()", async () => {
    const salt = randomBytes(16);
    const expected = instantiate2Address(fromHex(checksum), alice.address, salt, PREFIX);
    const r = await alice.client.instantiate2(
      alice.address,
      s.codeId,
      salt,
      { name: "Second", symbol: "SCND", decimals: 0, initial_balances: [] },
      "e2e cw20 #2",
      "auto",
    );
    assert.equal(r.contractAddress, expected);
    const info = await reader.queryContractSmart(expected, { token_info: {} });
    assert.equal(info.symbol, "SCND");
  });

  test("9. migrate is refused for a non-admin; updateAdmin / clearAdmin change the admin", async () => {
    await assert.rejects(
      bob.client.migrate(bob.address, s.contract, s.codeId, {}, { amount: [{ denom: "uopen", amount: "12500" }], gas: "500000" }),
      /unauthorized|can not migrate/i,
    );
    await alice.client.updateAdmin(alice.address, s.contract, bob.address, "auto");
    assert.equal((await reader.getContract(s.contract)).admin, bob.address);
    await bob.client.clearAdmin(bob.address, s.contract, "auto");
    assert.equal((await reader.getContract(s.contract)).admin, undefined);
  });
});

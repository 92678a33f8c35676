// After scripts/deploy.sh: every contract answers on the dev chain, the wiring holds, and Keplr's
// REST smart-query route reads the OPEN token.
//
//   OPENLEDGER_CONTRACTS=.openledger/contracts-openledger-dev-1.json node --test contracts-deployed.test.mjs
// Skips when OPENLEDGER_CONTRACTS is unset (scripts/e2e-dev.sh deploys and sets it).
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { CosmWasmClient } from "@cosmjs/cosmwasm";
import { toBase64, toUtf8 } from "@cosmjs/encoding";
import { checkChainFeatures } from "@keplr-wallet/chain-validator";

import { CHAIN_ID, REST, RPC, UNREACHABLE } from "./chain-env.mjs";

const FILE = process.env.OPENLEDGER_CONTRACTS;
const SKIP = UNREACHABLE ?? (!FILE && "OPENLEDGER_CONTRACTS is not set (run scripts/deploy.sh first)");

describe(`deployed contracts on ${RPC}`, { skip: SKIP || false }, () => {
  let client;
  let deployed;
  const addr = (name) => deployed.contracts[name].address;

  before(async () => {
    deployed = JSON.parse(readFileSync(FILE, "utf8"));
    client = await CosmWasmClient.connect(RPC);
  });
  after(() => client?.disconnect());

  test("the addresses file is for this chain and names all eight contracts", () => {
    assert.equal(deployed.chain_id, CHAIN_ID);
    assert.deepEqual(Object.keys(deployed.contracts).sort(), [
      "attester_registry",
      "attribution_escrow",
      "dao_multisig",
      "dao_stake",
      "dao_timelock",
      "datanet_registry",
      "model_registry",
      "open_token",
    ]);
  });

  test("every contract exists, runs its recorded code, and the timelock is its admin", async () => {
    const timelock = addr("dao_timelock");
    for (const [name, entry] of Object.entries(deployed.contracts)) {
      const info = await client.getContract(entry.address);
      assert.equal(info.codeId, entry.code_id, name);
      if (name !== "dao_timelock") assert.equal(info.admin, timelock, `${name} admin`);
      const code = await client.getCodeDetails(entry.code_id);
      const file = Object.entries(deployed.codes).find(([, c]) => c.code_id === entry.code_id);
      assert.equal(code.checksum, file[1].checksum, `${name} checksum`);
    }
  });

  test("wiring: the escrow is the attester registry's verifier; the DAO multisig proposes to the timelock", async () => {
    const registry = await client.queryContractSmart(addr("attester_registry"), { config: {} });
    assert.equal(registry.verifier, addr("attribution_escrow"));
    const timelock = await client.queryContractSmart(addr("dao_timelock"), { config: {} });
    assert.equal(timelock.proposer, addr("dao_multisig"));
    assert.equal(timelock.handed_off, true);
  });

  test("OPEN token info through cosmjs and through Keplr's REST smart query route", async () => {
    const info = await client.queryContractSmart(addr("open_token"), { token_info: {} });
    assert.equal(info.symbol, "OPEN");
    assert.equal(info.decimals, 6);
    const b64 = toBase64(toUtf8('{"token_info":{}}'));
    assert.match(b64, /=$/, "padded base64");
    const res = await fetch(`${REST}/cosmwasm/wasm/v1/contract/${addr("open_token")}/smart/${b64}`);
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual((await res.json()).data, info);

    // Standard base64 of ASCII JSON holds '/' only around '?' (or '+' around '>', '~'); shift one into
    // place so the route must keep an encoded '/' inside the query. The contract then refuses the
    // odd address: a contract error, not a 404 from a router that split the path.
    let query;
    for (let pad = 0; pad < 3 && !query; pad++) {
      const q = `{${" ".repeat(pad)}"balance":{"address":"????"}}`;
      if (toBase64(toUtf8(q)).includes("/")) query = q;
    }
    assert.ok(query, "found a query whose base64 holds '/'");
    const odd = await fetch(`${REST}/cosmwasm/wasm/v1/contract/${addr("open_token")}/smart/${toBase64(toUtf8(query))}`);
    const body = await odd.json();
    assert.notEqual(odd.status, 404, JSON.stringify(body));
    assert.doesNotMatch(body.message, /base64|json/i, JSON.stringify(body));
  });

  test("Keplr's feature probe detects cosmwasm (wasmd_0.24+)", async () => {
    // The probe only runs for chains that declare "cosmwasm", as our ChainInfo does.
    const features = await checkChainFeatures({ rpc: RPC, rest: REST, features: ["cosmwasm"] });
    assert.ok(features.includes("wasmd_0.24+"), JSON.stringify(features));
  });
});

#!/usr/bin/env node
// Validates localnet/keplr-chain-info.json the way Keplr does, using Keplr's own @keplr-wallet/chain-validator.
//
//   node validate-chain-info.mjs [path]      offline: Joi schema (validateBasicChainInfoType) + project checks
//
// Online probes run only when the endpoints are given in the environment:
//   OPENLEDGER_RPC=http://127.0.0.1:26657   checkRPCConnectivity: GET /status (chain id) + WebSocket /websocket (via `ws`)
//   OPENLEDGER_REST=http://127.0.0.1:1317   checkRestConnectivity: GET /cosmos/base/tendermint/v1beta1/node_info,
//                                           then checkChainFeatures (informational: features Keplr would add)
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import WebSocket from "ws";
import {
  validateBasicChainInfoType,
  checkRPCConnectivity,
  checkRestConnectivity,
  checkChainFeatures,
} from "@keplr-wallet/chain-validator";

const HERE = dirname(fileURLToPath(import.meta.url));
export const CHAIN_INFO_PATH = resolve(HERE, "..", "..", "localnet", "keplr-chain-info.json");

export function loadChainInfo(path = CHAIN_INFO_PATH) {
  return JSON.parse(readFileSync(path, "utf8"));
}

/**
 * Offline validation. Throws on the first problem; returns the chain info.
 * 1. Keplr's schema with stripUnknown=false, so a misspelt/unknown field is an error rather than silently dropped.
 * 2. Keplr's default mode (stripUnknown=true) must not change anything either.
 * 3. Project invariants (prefix `open`, denom `uopen`, 6 decimals, coin type 118, gas price steps).
 */
export async function validateOffline(chainInfo) {
  const strict = await validateBasicChainInfoType(structuredClone(chainInfo), false);
  const stripped = await validateBasicChainInfoType(structuredClone(chainInfo), true);
  if (!isDeepStrictEqual(stripped, chainInfo)) {
    throw new Error("validateBasicChainInfoType(stripUnknown=true) changed the chain info (unknown or coerced fields)");
  }
  const problems = [];
  const expectEq = (what, actual, expected) => {
    if (!isDeepStrictEqual(actual, expected)) problems.push(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  };
  expectEq("bip44.coinType", chainInfo.bip44?.coinType, 118);
  const p = "open";
  expectEq("bech32Config", chainInfo.bech32Config, {
    bech32PrefixAccAddr: p,
    bech32PrefixAccPub: `${p}pub`,
    bech32PrefixValAddr: `${p}valoper`,
    bech32PrefixValPub: `${p}valoperpub`,
    bech32PrefixConsAddr: `${p}valcons`,
    bech32PrefixConsPub: `${p}valconspub`,
  });
  const open = { coinDenom: "OPEN", coinMinimalDenom: "uopen", coinDecimals: 6 };
  expectEq("currencies[0]", chainInfo.currencies?.[0], open);
  expectEq("stakeCurrency", chainInfo.stakeCurrency, open);
  const fee = chainInfo.feeCurrencies?.[0] ?? {};
  const { gasPriceStep, ...feeCurrency } = fee;
  expectEq("feeCurrencies[0]", feeCurrency, open);
  if (!gasPriceStep || !(gasPriceStep.low <= gasPriceStep.average && gasPriceStep.average <= gasPriceStep.high)) {
    problems.push(`feeCurrencies[0].gasPriceStep must satisfy low <= average <= high: ${JSON.stringify(gasPriceStep)}`);
  } else if (gasPriceStep.low < 0.025) {
    problems.push(`gasPriceStep.low ${gasPriceStep.low} is below the node's min gas price 0.025uopen`);
  }
  if (problems.length) throw new Error(`chain info problems:\n  - ${problems.join("\n  - ")}`);
  return strict;
}

/** Keplr's endpoint checks (settings page / suggestChain). `ws` stands in for the browser WebSocket. */
export async function checkConnectivity(chainInfo, { rpc, rest } = {}) {
  const results = {};
  if (rpc) {
    await checkRPCConnectivity(chainInfo.chainId, rpc, (url) => new WebSocket(url));
    results.rpc = "ok";
  }
  if (rest) {
    await checkRestConnectivity(chainInfo.chainId, rest);
    results.rest = "ok";
    if (rpc) {
      results.newFeatures = await checkChainFeatures({ rpc, rest, features: chainInfo.features });
    }
  }
  return results;
}

async function main() {
  const path = process.argv[2] ? resolve(process.argv[2]) : CHAIN_INFO_PATH;
  const chainInfo = loadChainInfo(path);
  await validateOffline(chainInfo);
  console.log(`ok: ${path} passes @keplr-wallet/chain-validator validateBasicChainInfoType (${chainInfo.chainId})`);
  const rpc = process.env.OPENLEDGER_RPC;
  const rest = process.env.OPENLEDGER_REST;
  if (!rpc && !rest) {
    console.log("(set OPENLEDGER_RPC / OPENLEDGER_REST to also run checkRPCConnectivity / checkRestConnectivity)");
    return;
  }
  const r = await checkConnectivity(chainInfo, { rpc, rest });
  if (r.rpc) console.log(`ok: checkRPCConnectivity ${rpc} (GET /status chain id + WebSocket /websocket)`);
  if (r.rest) console.log(`ok: checkRestConnectivity ${rest} (node_info network)`);
  if (r.newFeatures) console.log(`info: checkChainFeatures would add: ${JSON.stringify(r.newFeatures)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`FAIL: ${e.message ?? e}`);
    process.exit(1);
  });
}

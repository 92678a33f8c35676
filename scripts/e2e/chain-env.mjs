// Shared by the end-to-end suites: where the dev chain is, the dev accounts, and small waiting helpers.
// A suite imports UNREACHABLE and skips itself (or, with OPENLEDGER_E2E=1, fails) when no node answers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";

import { toBech32, toHex } from "@cosmjs/encoding";
import { sha256 } from "@cosmjs/crypto";
import { GasPrice } from "@cosmjs/stargate";

export const RPC = (process.env.OPENLEDGER_RPC ?? "http://127.0.0.1:26657").replace(/\/+$/, "");
export const REST = (process.env.OPENLEDGER_REST ?? "http://127.0.0.1:1317").replace(/\/+$/, "");
export const CHAIN_ID = process.env.OPENLEDGER_CHAIN_ID ?? "openledger-dev-1";
export const REQUIRED = process.env.OPENLEDGER_E2E === "1";
export const WAIT_S = Number(process.env.OPENLEDGER_E2E_WAIT_S ?? 60);

export const MNEMONIC =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
export const PREFIX = "open";
export const DENOM = "uopen";
export const GAS_PRICE = GasPrice.fromString("0.025uopen");
export const CLIENT_OPTS = { gasPrice: GAS_PRICE, broadcastPollIntervalMs: 500, broadcastTimeoutMs: 30_000 };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const freshAddress = () => toBech32(PREFIX, randomBytes(20));
export const txHashHex = (bytes) => toHex(sha256(bytes)).toUpperCase();

export async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function waitFor(fn, { timeoutMs = 30_000, intervalMs = 250, what = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await sleep(intervalMs);
  }
}

/** GET {rpc}/status; ok once the node answers with a committed block (status before block 1 breaks cosmjs). */
async function probe() {
  try {
    const res = await fetch(`${RPC}/status`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return { ok: false, why: `HTTP ${res.status}` };
    const body = await res.json();
    const r = body.result ?? body;
    if (!r?.sync_info?.latest_block_height || r.sync_info.latest_block_height === "0") {
      return { ok: false, why: "no committed block yet" };
    }
    return { ok: true, status: r };
  } catch (e) {
    return { ok: false, why: e.cause?.code ?? e.message };
  }
}

let reach = await probe();
if (!reach.ok && REQUIRED) {
  const deadline = Date.now() + WAIT_S * 1000;
  while (!reach.ok && Date.now() < deadline) {
    await sleep(1000);
    reach = await probe();
  }
}
export const UNREACHABLE = reach.ok
  ? null
  : `no OpenLedger dev node at ${RPC} (${reach.why}). Start one with \`openledgerd dev\`; ` +
    `set OPENLEDGER_E2E=1 to make this a failure instead of a skip.`;

if (UNREACHABLE && !REQUIRED) {
  console.log(`SKIP dev-chain e2e: ${UNREACHABLE}`);
}
if (UNREACHABLE && REQUIRED) {
  test(`dev node is reachable at ${RPC} (OPENLEDGER_E2E=1)`, () => {
    assert.fail(`OPENLEDGER_E2E=1 but ${UNREACHABLE} (waited ${WAIT_S}s)`);
  });
}

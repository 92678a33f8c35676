// Shared by the end-to-end suites: where the dev chain is, the dev accounts, and small waiting helpers.
// A suite imports UNREACHABLE and skips itself (or, with OPENLEDGER_E2E=1, fails) when no node answers.
import { test } from "node:test";
import assert from "node:assert/strict";

import { sleep } from "./common.mjs";

export * from "./common.mjs";

export const RPC = (process.env.OPENLEDGER_RPC ?? "http://127.0.0.1:26657").replace(/\/+$/, "");
export const REST = (process.env.OPENLEDGER_REST ?? "http://127.0.0.1:1317").replace(/\/+$/, "");
export const CHAIN_ID = process.env.OPENLEDGER_CHAIN_ID ?? "openledger-dev-1";
export const REQUIRED = process.env.OPENLEDGER_E2E === "1";
export const WAIT_S = Number(process.env.OPENLEDGER_E2E_WAIT_S ?? 60);

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

// The side-effect-free part of the end-to-end suites' shared setup: the dev accounts, fee settings and
// small waiting helpers. chain-env.mjs re-exports all of it (and probes the dev chain on import); suites
// that talk to other chains (ibc.test.mjs) import this file alone.
import { randomBytes } from "node:crypto";

import { toBech32, toHex } from "@cosmjs/encoding";
import { sha256 } from "@cosmjs/crypto";
import { GasPrice } from "@cosmjs/stargate";

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

// Load generator and checker of scripts/soak.sh (a 4-validator localnet soak test; not part of CI).
//
//   node soak.mjs addresses --accounts N             the load accounts' addresses (dev mnemonic, HD 2..N+1)
//   node soak.mjs setup  --dir D                     upload + instantiate the test CW20 and test_loop
//   node soak.mjs load   --dir D --seconds S ...     mixed load until S seconds have passed
//   node soak.mjs report --dir D                     check the chain, print the report, write D/report.json
//
// Everything the phases share lives in D/soak/: config.json (written by soak.sh: RPC URLs, chain id,
// options), setup.json, acked.jsonl (every tx hash a broadcast_tx_sync acknowledged with code 0),
// load.json, events.jsonl (kills, restarts, catch-ups, crashes written by soak.sh).
//
// cosmjs comes from scripts/e2e's node_modules (its pinned single copy): `cd scripts/e2e && npm ci`.
import { createRequire } from "node:module";
import { appendFileSync, createWriteStream, existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes, createHash } from "node:crypto";
import { join } from "node:path";

const require = createRequire(new URL("../e2e/package.json", import.meta.url));
const { DirectSecp256k1HdWallet } = require("@cosmjs/proto-signing");
const { makeCosmoshubPath } = require("@cosmjs/amino");
const { SigningCosmWasmClient } = require("@cosmjs/cosmwasm");
const { GasPrice, calculateFee, accountFromAny } = require("@cosmjs/stargate");
const { toBech32 } = require("@cosmjs/encoding");
const { TxRaw } = require("cosmjs-types/cosmos/tx/v1beta1/tx");
const { MsgSend } = require("cosmjs-types/cosmos/bank/v1beta1/tx");
const { MsgExecuteContract } = require("cosmjs-types/cosmwasm/wasm/v1/tx");
const authQ = require("cosmjs-types/cosmos/auth/v1beta1/query");
const bankQ = require("cosmjs-types/cosmos/bank/v1beta1/query");
const wasmQ = require("cosmjs-types/cosmwasm/wasm/v1/query");

const MNEMONIC =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const PREFIX = "open";
const DENOM = "uopen";
const GAS_PRICE = GasPrice.fromString("0.025uopen");
const ARTIFACTS = new URL("../../abci-app/tests/wasm-contracts/artifacts/", import.meta.url);
// A tx acknowledged by a node this long (or less) before that node was SIGKILLed may have died in
// its mempool before CometBFT gossiped it: the report lists such losses apart from the others.
const KILL_WINDOW_MS = 5000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Date.now();
const sha256hex = (bytes) => createHash("sha256").update(bytes).digest("hex").toUpperCase();
const freshAddress = () => toBech32(PREFIX, randomBytes(20));
const log = (...a) => console.log(...a);

function args(argv) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const key = a.slice(2);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) out[key] = true;
      else out[key] = argv[++i];
    } else out._.push(a);
  }
  return out;
}

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const readJsonl = (path) =>
  existsSync(path)
    ? readFileSync(path, "utf8")
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l))
    : [];

function quantile(sorted, q) {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  const sum = s.reduce((x, y) => x + y, 0);
  return {
    n: s.length,
    mean: s.length ? sum / s.length : null,
    p50: quantile(s, 0.5),
    p99: quantile(s, 0.99),
    max: s.length ? s[s.length - 1] : null,
  };
}

/** RFC 3339 with nanoseconds (CometBFT header time) to milliseconds since the epoch, with a fraction. */
function timeMs(rfc3339) {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(rfc3339);
  if (!m) return Date.parse(rfc3339);
  const whole = Date.parse(m[1] + m[4]);
  const frac = m[3] ? Number(`0.${m[3]}`) * 1000 : 0;
  return whole + frac;
}

// ---------- CometBFT JSON-RPC ----------

let rpcId = 0;
async function rpc(url, method, params = {}, timeoutMs = 10_000) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: ++rpcId, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await res.json();
  if (body.error) {
    const e = new Error(`${method}: ${body.error.message} ${body.error.data ?? ""}`.trim());
    e.rpc = body.error;
    throw e;
  }
  return body.result;
}

async function status(url, timeoutMs = 3000) {
  const r = await rpc(url, "status", {}, timeoutMs);
  return {
    height: Number(r.sync_info.latest_block_height),
    catchingUp: r.sync_info.catching_up,
    time: r.sync_info.latest_block_time,
  };
}

async function tryStatus(url, timeoutMs = 3000) {
  try {
    return await status(url, timeoutMs);
  } catch {
    return null;
  }
}

async function abciQuery(url, path, bytes, timeoutMs = 20_000) {
  const r = await rpc(
    url,
    "abci_query",
    { path, data: Buffer.from(bytes).toString("hex"), height: "0", prove: false },
    timeoutMs,
  );
  return r.response;
}

async function committedSequence(url, address) {
  const resp = await abciQuery(url, "/cosmos.auth.v1beta1.Query/Account", authQ.QueryAccountRequest.encode({ address }).finish(), 5000);
  if (resp.code) throw new Error(`account ${address}: ${resp.log}`);
  const decoded = authQ.QueryAccountResponse.decode(Buffer.from(resp.value, "base64"));
  const acct = accountFromAny(decoded.account);
  return { accountNumber: acct.accountNumber, sequence: acct.sequence };
}

// ---------- shared state ----------

function loadConfig(dir) {
  const cfg = readJson(join(dir, "soak", "config.json"));
  cfg.dir = dir;
  return cfg;
}

async function wallets(from, count) {
  const hdPaths = [];
  for (let i = from; i < from + count; i++) hdPaths.push(makeCosmoshubPath(i));
  const w = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: PREFIX, hdPaths });
  return { wallet: w, accounts: await w.getAccounts() };
}

// The load accounts: HD indices 2..N+1 of the dev mnemonic (0 and 1 are alice and bob), one wallet each.
async function loadAccounts(count) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const w = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: PREFIX, hdPaths: [makeCosmoshubPath(2 + i)] });
    const [a] = await w.getAccounts();
    out.push({ index: i, address: a.address, wallet: w });
  }
  return out;
}

async function waitForHeight(urls, min, timeoutMs, what) {
  const deadline = now() + timeoutMs;
  for (;;) {
    const st = await Promise.all(urls.map((u) => tryStatus(u)));
    if (st.every((s) => s && s.height >= min)) return st;
    if (now() > deadline) {
      throw new Error(`timed out waiting for ${what}: heights ${st.map((s) => (s ? s.height : "down")).join("/")}`);
    }
    await sleep(1000);
  }
}

// ---------- addresses ----------

async function cmdAddresses(opt) {
  const n = Number(opt.accounts ?? 8);
  const { accounts } = await wallets(2, n);
  for (const a of accounts) console.log(a.address);
}

// ---------- setup ----------

const attr = (events, type, key) => events.find((e) => e.type === type)?.attributes.find((a) => a.key === key)?.value;

async function cmdSetup(opt) {
  const cfg = loadConfig(opt.dir);
  const urls = cfg.rpc;
  log(`soak setup: waiting for ${urls.length} nodes to commit block 2`);
  await waitForHeight(urls, 2, 300_000, "the localnet to make blocks");
  const { wallet, accounts } = await wallets(0, 1);
  const alice = accounts[0].address;
  const client = await SigningCosmWasmClient.connectWithSigner(urls[0], wallet, {
    gasPrice: GAS_PRICE,
    broadcastPollIntervalMs: 500,
    broadcastTimeoutMs: 180_000,
  });
  const load = await loadAccounts(cfg.accounts);
  const t0 = now();
  const cw20Code = await client.upload(alice, readFileSync(new URL("test_cw20.wasm", ARTIFACTS)), "auto");
  const loopCode = await client.upload(alice, readFileSync(new URL("test_loop.wasm", ARTIFACTS)), "auto");
  log(`soak setup: stored test_cw20 (code ${cw20Code.codeId}) and test_loop (code ${loopCode.codeId}) in ${((now() - t0) / 1000).toFixed(1)} s`);
  const cw20 = await client.instantiate(
    alice,
    cw20Code.codeId,
    {
      name: "Soak Token",
      symbol: "SOAK",
      decimals: 6,
      initial_balances: load.map((a) => ({ address: a.address, amount: "1000000000000" })),
      mint: null,
      marketing: null,
    },
    "soak cw20",
    "auto",
  );
  const loop = await client.instantiate(alice, loopCode.codeId, {}, "soak loop", "auto");
  log(`soak setup: cw20 ${cw20.contractAddress}, loop ${loop.contractAddress}`);

  // Gas of each kind of load tx, simulated once from the first load account (sequence 0).
  const a0 = load[0];
  const sim = await SigningCosmWasmClient.connectWithSigner(urls[0], a0.wallet, { gasPrice: GAS_PRICE });
  const kinds = buildKinds({ cw20: cw20.contractAddress, loop: loop.contractAddress }, load);
  const gas = {};
  for (const [kind, make] of Object.entries(kinds)) {
    const used = await sim.simulate(a0.address, make(a0), "soak gas estimate");
    gas[kind] = Math.ceil(used * 1.5) + 10_000;
  }
  sim.disconnect();
  client.disconnect();
  const setup = { cw20: cw20.contractAddress, loop: loop.contractAddress, codes: { cw20: cw20Code.codeId, loop: loopCode.codeId }, gas };
  writeFileSync(join(cfg.dir, "soak", "setup.json"), JSON.stringify(setup, null, 2));
  log(`soak setup: gas limits ${JSON.stringify(gas)}`);
}

/** The load tx kinds: each makes the messages of one tx for a sender. */
function buildKinds(setup, load) {
  const peer = (a) => load[(a.index + 1 + Math.floor(Math.random() * (load.length - 1 || 1))) % load.length].address;
  const recipient = (a) => (Math.random() < 0.5 ? peer(a) : freshAddress());
  return {
    bank: (a) => [
      {
        typeUrl: "/cosmos.bank.v1beta1.MsgSend",
        value: MsgSend.fromPartial({ fromAddress: a.address, toAddress: recipient(a), amount: [{ denom: DENOM, amount: String(1 + Math.floor(Math.random() * 1000)) }] }),
      },
    ],
    cw20: (a) => [
      {
        typeUrl: "/cosmwasm.wasm.v1.MsgExecuteContract",
        value: MsgExecuteContract.fromPartial({
          sender: a.address,
          contract: setup.cw20,
          msg: Buffer.from(JSON.stringify({ transfer: { recipient: recipient(a), amount: String(1 + Math.floor(Math.random() * 1000)) } })),
          funds: [],
        }),
      },
    ],
    call: (a) => [
      {
        typeUrl: "/cosmwasm.wasm.v1.MsgExecuteContract",
        value: MsgExecuteContract.fromPartial({ sender: a.address, contract: setup.loop, msg: Buffer.from('{"ok":{}}'), funds: [] }),
      },
    ],
  };
}

// ---------- load ----------

async function cmdLoad(opt) {
  const cfg = loadConfig(opt.dir);
  const setup = readJson(join(cfg.dir, "soak", "setup.json"));
  const seconds = Number(opt.seconds);
  const urls = cfg.rpc;
  const nodes = urls.length;
  const load = await loadAccounts(cfg.accounts);
  const kinds = buildKinds(setup, load);
  const weights = [
    ["bank", 0.5],
    ["cw20", 0.3],
    ["call", 0.2],
  ];
  const pickKind = () => {
    let r = Math.random();
    for (const [k, w] of weights) if ((r -= w) < 0) return k;
    return "bank";
  };
  const eventsPath = join(cfg.dir, "soak", "events.jsonl");
  const acked = createWriteStream(join(cfg.dir, "soak", "acked.jsonl"), { flags: "w" });
  const counters = {
    sent: 0,
    acked: 0,
    byKind: Object.fromEntries(weights.map(([k]) => [k, { sent: 0, acked: 0 }])),
    rejected: {}, // "code N: log prefix" -> count
    sequenceResyncs: 0,
    broadcastErrors: {}, // message -> count
    failovers: 0,
    presumedLost: 0, // acked txs a sender gave up waiting for after its node died
    queries: {}, // kind -> {ok, busy, error, down, ms: []}
  };
  const bump = (obj, key) => (obj[key] = (obj[key] ?? 0) + 1);

  const start0 = await waitForHeight(urls, 1, 60_000, "every node to answer");
  const startHeight = Math.max(...start0.map((s) => s.height));
  const startTime = now();
  const endAt = startTime + seconds * 1000;
  log(`soak load: ${seconds} s, ${cfg.rate} tx/s over ${load.length} accounts, ${cfg.queriers} queriers per node, from height ${startHeight}`);
  const running = () => now() < endAt;

  const clients = await Promise.all(load.map((a) => SigningCosmWasmClient.offline(a.wallet)));
  const interval = (1000 * load.length) / cfg.rate;

  async function sender(a) {
    const client = clients[a.index];
    let node = a.index % nodes;
    const home = node;
    let info = null; // {accountNumber, sequence}
    let next = now() + Math.random() * interval;
    let lastHomeCheck = now();

    // After a broadcast error: find a live node, wait until everything this account had acknowledged is
    // committed (or give up after 20 s: those txs are presumed lost), then continue from the committed sequence.
    async function recover(reason) {
      for (let tries = 0; running(); tries++) {
        const candidates = [node, ...Array.from({ length: nodes }, (_, i) => i).filter((i) => i !== node)];
        for (const c of candidates) {
          const st = await tryStatus(urls[c]);
          if (st && !st.catchingUp) {
            if (c !== node) counters.failovers++;
            node = c;
            const deadline = now() + 20_000;
            for (;;) {
              let committed;
              try {
                committed = await committedSequence(urls[node], a.address);
              } catch {
                break; // this node went away too; try the others
              }
              if (!info || committed.sequence >= info.sequence) {
                info = committed;
                return;
              }
              if (now() > deadline || !running()) {
                counters.presumedLost += info.sequence - committed.sequence;
                appendFileSync(eventsPath, JSON.stringify({ t: now(), event: "presumed-lost", account: a.index, node, from: committed.sequence, to: info.sequence, reason }) + "\n");
                info = committed;
                return;
              }
              await sleep(500);
            }
          }
        }
        await sleep(1000);
      }
    }

    while (running()) {
      const wait = next - now();
      if (wait > 0) await sleep(wait);
      next = Math.max(next + interval, now() - interval);
      if (!running()) break;
      if (!info) {
        await recover("start");
        if (!info) continue;
      }
      // Back to the home node once it is up again and nothing of ours is pending elsewhere.
      if (node !== home && now() - lastHomeCheck > 30_000) {
        lastHomeCheck = now();
        const st = await tryStatus(urls[home]);
        if (st && !st.catchingUp) {
          try {
            const c = await committedSequence(urls[home], a.address);
            if (c.sequence === info.sequence) node = home;
          } catch {}
        }
      }
      const kind = pickKind();
      const memo = `soak ${a.index}/${info.sequence}/${randomBytes(4).toString("hex")}`;
      const fee = calculateFee(setup.gas[kind], GAS_PRICE);
      let bytes;
      try {
        const raw = await client.sign(a.address, kinds[kind](a), fee, memo, {
          accountNumber: info.accountNumber,
          sequence: info.sequence,
          chainId: cfg.chain_id,
        });
        bytes = TxRaw.encode(raw).finish();
      } catch (e) {
        bump(counters.broadcastErrors, `sign: ${e.message}`);
        continue;
      }
      const hash = sha256hex(bytes);
      counters.sent++;
      counters.byKind[kind].sent++;
      const sentAt = now();
      let r;
      try {
        r = await rpc(urls[node], "broadcast_tx_sync", { tx: Buffer.from(bytes).toString("base64") }, 10_000);
      } catch (e) {
        bump(counters.broadcastErrors, `node${node}: ${e.cause?.code ?? (e.name === "TimeoutError" ? "timeout" : e.message.slice(0, 80))}`);
        await recover(`broadcast to node${node} failed`);
        continue;
      }
      if (r.code === 0) {
        counters.acked++;
        counters.byKind[kind].acked++;
        acked.write(JSON.stringify({ h: hash, k: kind, a: a.index, n: node, s: Number(info.sequence), t: sentAt, ack: now() }) + "\n");
        info.sequence++;
      } else {
        const m = /expected (\d+), got (\d+)/.exec(r.log ?? "");
        if (m) {
          counters.sequenceResyncs++;
          info.sequence = Number(m[1]);
        }
        bump(counters.rejected, `code ${r.code} ${r.codespace ?? ""}: ${(r.log ?? "").replace(/\d+/g, "N").slice(0, 90)}`);
      }
    }
  }

  // Heavy queries on every node's RPC (abci_query): a contract query that spins to the smart-query gas cap,
  // AllBalances / Accounts / AllContractState with pagination.count_total.
  const alice = (await wallets(0, 1)).accounts[0].address;
  const queryKinds = {
    loop: () => ["/cosmwasm.wasm.v1.Query/SmartContractState", wasmQ.QuerySmartContractStateRequest.encode({ address: setup.loop, queryData: Buffer.from('{"loop":{}}') }).finish(), true],
    all_balances: () => ["/cosmos.bank.v1beta1.Query/AllBalances", bankQ.QueryAllBalancesRequest.encode({ address: alice, pagination: { key: new Uint8Array(), offset: 0n, limit: 100n, countTotal: true, reverse: false } }).finish(), false],
    accounts: () => ["/cosmos.auth.v1beta1.Query/Accounts", authQ.QueryAccountsRequest.encode({ pagination: { key: new Uint8Array(), offset: 0n, limit: 100n, countTotal: true, reverse: false } }).finish(), false],
    cw20_state: () => ["/cosmwasm.wasm.v1.Query/AllContractState", wasmQ.QueryAllContractStateRequest.encode({ address: setup.cw20, pagination: { key: new Uint8Array(), offset: 0n, limit: 100n, countTotal: true, reverse: false } }).finish(), false],
  };
  const queryWeights = [
    ["loop", 0.4],
    ["all_balances", 0.2],
    ["accounts", 0.2],
    ["cw20_state", 0.2],
  ];
  for (const [k] of queryWeights) counters.queries[k] = { ok: 0, out_of_gas: 0, busy: 0, error: 0, down: 0, ms: [], errors: {} };

  async function querier(node) {
    while (running()) {
      let r = Math.random();
      let kind = "loop";
      for (const [k, w] of queryWeights) if ((r -= w) < 0) { kind = k; break; }
      const [path, data, spins] = queryKinds[kind]();
      const q = counters.queries[kind];
      const t = now();
      try {
        const resp = await abciQuery(urls[node], path, data, 30_000);
        const ms = now() - t;
        if (resp.code === 0) {
          q.ok++;
          q.ms.push(ms);
        } else if (resp.codespace === "openledger-query") {
          q.busy++;
        } else if (spins && /out of gas/i.test(resp.log ?? "")) {
          q.out_of_gas++; // the loop query's expected end: it ran to the gas cap
          q.ms.push(ms);
        } else {
          q.error++;
          bump(q.errors, `code ${resp.code} ${resp.codespace ?? ""}: ${(resp.log ?? "").slice(0, 80)}`);
        }
      } catch (e) {
        q.down++;
        await sleep(1000);
      }
      if (cfg.query_pause_ms > 0) await sleep(cfg.query_pause_ms);
    }
  }

  let lastHeights = start0.map((s) => s.height);
  async function progress() {
    const every = cfg.progress_s * 1000;
    while (running()) {
      await sleep(Math.min(every, Math.max(0, endAt - now())));
      if (!running()) break;
      const st = await Promise.all(urls.map((u) => tryStatus(u, 2000)));
      lastHeights = st.map((s, i) => (s ? s.height : lastHeights[i]));
      const events = readJsonl(eventsPath);
      const kills = events.filter((e) => e.event === "kill").length;
      const qs = Object.values(counters.queries);
      const qDone = qs.reduce((x, q) => x + q.ok + q.out_of_gas + q.error, 0);
      const qBusy = qs.reduce((x, q) => x + q.busy, 0);
      const el = Math.round((now() - startTime) / 1000);
      const mmss = `${Math.floor(el / 60)}:${String(el % 60).padStart(2, "0")}`;
      const rej = Object.values(counters.rejected).reduce((x, y) => x + y, 0);
      const errs = Object.values(counters.broadcastErrors).reduce((x, y) => x + y, 0);
      log(
        `[soak ${mmss}] height ${Math.max(...lastHeights)} (nodes ${st.map((s) => (s ? s.height : "down")).join("/")}) | ` +
          `txs sent ${counters.sent} acked ${counters.acked} rejected ${rej} errors ${errs} | queries ${qDone} busy ${qBusy} | kills ${kills}`,
      );
    }
  }

  await Promise.all([...load.map((a) => sender(a)), ...urls.flatMap((_, n) => Array.from({ length: cfg.queriers }, () => querier(n))), progress()]);
  await new Promise((r) => acked.end(r));
  const end = await Promise.all(urls.map((u) => tryStatus(u)));
  const endHeight = Math.max(...end.filter(Boolean).map((s) => s.height));
  const queries = {};
  for (const [k, q] of Object.entries(counters.queries)) {
    const s = stats(q.ms);
    queries[k] = { ok: q.ok, out_of_gas: q.out_of_gas, busy: q.busy, error: q.error, node_down: q.down, latency_ms_p50: s.p50, latency_ms_p99: s.p99, errors: q.errors };
  }
  const out = {
    start_height: startHeight,
    end_height: endHeight,
    start_ms: startTime,
    end_ms: now(),
    seconds,
    rate: cfg.rate,
    accounts: load.length,
    sent: counters.sent,
    acked: counters.acked,
    by_kind: counters.byKind,
    rejected: counters.rejected,
    sequence_resyncs: counters.sequenceResyncs,
    broadcast_errors: counters.broadcastErrors,
    failovers: counters.failovers,
    presumed_lost: counters.presumedLost,
    queries,
  };
  writeFileSync(join(cfg.dir, "soak", "load.json"), JSON.stringify(out, null, 2));
  log(`soak load: done at height ${endHeight}: sent ${counters.sent}, acked ${counters.acked}`);
}

// ---------- report ----------

async function blockMetas(url, from, to) {
  const out = new Map();
  for (let hi = to; hi >= from; hi -= 20) {
    const lo = Math.max(from, hi - 19);
    let r;
    for (let attempt = 0; ; attempt++) {
      try {
        r = await rpc(url, "blockchain", { minHeight: String(lo), maxHeight: String(hi) }, 20_000);
        break;
      } catch (e) {
        if (attempt >= 5) throw e;
        await sleep(1000);
      }
    }
    for (const m of r.block_metas) {
      out.set(Number(m.header.height), {
        hash: m.block_id.hash,
        app_hash: m.header.app_hash,
        time: m.header.time,
        num_txs: Number(m.num_txs),
      });
    }
  }
  return out;
}

async function withRetry(fn, attempts = 5) {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i + 1 >= attempts) throw e;
      await sleep(1000);
    }
  }
}

async function pool(items, concurrency, fn) {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) {
        const item = items[i++];
        await fn(item);
      }
    }),
  );
}

async function cmdReport(opt) {
  const cfg = loadConfig(opt.dir);
  const urls = cfg.rpc;
  const loadOut = readJson(join(cfg.dir, "soak", "load.json"));
  const acked = readJsonl(join(cfg.dir, "soak", "acked.jsonl"));
  const events = readJsonl(join(cfg.dir, "soak", "events.jsonl"));
  const failures = [];

  // Every node past the end of the load (the restarted one included), a few blocks for the last acks.
  const settle = loadOut.end_height + 5;
  log(`soak report: waiting for every node to reach height ${settle}`);
  let final;
  try {
    final = await waitForHeight(urls, settle, 180_000, `every node to reach ${settle}`);
  } catch (e) {
    failures.push(e.message);
    final = await Promise.all(urls.map((u) => tryStatus(u)));
  }
  const live = urls.map((u, i) => (final[i] ? i : -1)).filter((i) => i >= 0);
  if (!live.length) throw new Error("no node answers");
  const heights = final.map((s) => (s ? s.height : null));
  const common = Math.min(...live.map((i) => heights[i]));

  // Headers of every block 1..common on every node: app hash and block hash agreement.
  log(`soak report: comparing headers 1..${common} on ${live.length} nodes`);
  const metas = await Promise.all(live.map((i) => blockMetas(urls[i], 1, common)));
  const appHashMismatch = [];
  const blockHashMismatch = [];
  for (let h = 1; h <= common; h++) {
    const vals = metas.map((m) => m.get(h));
    if (vals.some((v) => !v)) {
      failures.push(`height ${h} missing on some node`);
      continue;
    }
    if (!vals.every((v) => v.app_hash === vals[0].app_hash)) {
      appHashMismatch.push({ height: h, app_hashes: Object.fromEntries(live.map((n, j) => [`node${n}`, vals[j].app_hash])) });
    }
    if (!vals.every((v) => v.hash === vals[0].hash)) blockHashMismatch.push(h);
  }
  // The app hash after the last compared block: each node's abci_info when they stand at the same height.
  let lastAppHash = null;
  for (let tries = 0; tries < 40 && !lastAppHash; tries++) {
    const infos = await Promise.all(live.map((i) => rpc(urls[i], "abci_info", {}, 3000).catch(() => null)));
    if (infos.every(Boolean) && infos.every((x) => x.response.last_block_height === infos[0].response.last_block_height)) {
      lastAppHash = {
        height: Number(infos[0].response.last_block_height),
        agree: infos.every((x) => x.response.last_block_app_hash === infos[0].response.last_block_app_hash),
        app_hash: Buffer.from(infos[0].response.last_block_app_hash ?? "", "base64").toString("hex").toUpperCase(),
      };
      if (!lastAppHash.agree) {
        appHashMismatch.push({ height: lastAppHash.height, abci_info: Object.fromEntries(live.map((n, j) => [`node${n}`, infos[j].response.last_block_app_hash])) });
      }
    } else await sleep(100);
  }

  const ref = metas[0];
  // Throughput and block times over the load window.
  const h0 = loadOut.start_height + 1;
  const h1 = Math.min(loadOut.end_height, common);
  let txsInWindow = 0;
  const blockTimes = [];
  for (let h = h0; h <= h1; h++) {
    txsInWindow += ref.get(h).num_txs;
    if (h > h0) blockTimes.push(timeMs(ref.get(h).time) - timeMs(ref.get(h - 1).time));
  }
  const windowS = (timeMs(ref.get(h1).time) - timeMs(ref.get(loadOut.start_height).time)) / 1000;
  const bt = stats(blockTimes);

  // Every tx in blocks h0..common (from /block on the live nodes in turn) with its result code.
  log(`soak report: reading the txs of blocks ${h0}..${common}`);
  const withTxs = [];
  for (let h = h0; h <= common; h++) if (ref.get(h).num_txs > 0) withTxs.push(h);
  const inBlock = new Map(); // hash -> {height, code}
  let k = 0;
  await pool(withTxs, 4, async (h) => {
    const url = urls[live[k++ % live.length]];
    const [b, res] = await Promise.all([withRetry(() => rpc(url, "block", { height: String(h) }, 20_000)), withRetry(() => rpc(url, "block_results", { height: String(h) }, 20_000))]);
    b.block.data.txs.forEach((tx, i) => {
      inBlock.set(sha256hex(Buffer.from(tx, "base64")), { height: h, code: res.txs_results?.[i]?.code ?? 0, log: res.txs_results?.[i]?.log ?? "" });
    });
  });

  const kills = events.filter((e) => e.event === "kill");
  const missing = [];
  const failedInBlock = {};
  const inclusion = [];
  const loadTxs = { bank: 0, cw20: 0, call: 0 };
  for (const a of acked) {
    const found = inBlock.get(a.h);
    if (!found) {
      const kill = kills.find((e) => e.node === a.n && e.t >= a.ack - 50 && e.t - a.ack <= KILL_WINDOW_MS);
      missing.push({ ...a, acked_by_killed_node: kill ? { kill_ms_after_ack: kill.t - a.ack } : null });
      continue;
    }
    loadTxs[a.k]++;
    // Block h+1's header time is the median of the precommit times for block h: when h was committed.
    const next = ref.get(found.height + 1);
    if (next) inclusion.push(timeMs(next.time) - a.ack);
    if (found.code !== 0) {
      const key = `${a.k} code ${found.code}: ${found.log.replace(/\d+/g, "N").slice(0, 90)}`;
      failedInBlock[key] = (failedInBlock[key] ?? 0) + 1;
    }
  }
  // A second opinion on the missing ones: the tx indexer of every live node.
  for (const m of missing) {
    m.tx_index = {};
    for (const i of live) {
      try {
        const r = await rpc(urls[i], "tx", { hash: Buffer.from(m.h, "hex").toString("base64"), prove: false }, 5000);
        m.tx_index[`node${i}`] = Number(r.height);
      } catch {
        m.tx_index[`node${i}`] = null;
      }
    }
  }
  const missingKill = missing.filter((m) => m.acked_by_killed_node);
  const missingOther = missing.filter((m) => !m.acked_by_killed_node);
  const incl = stats(inclusion);

  // The nodes' own logs: a panic or a CometBFT consensus failure fails the run; app ERROR lines are counted.
  const logs = {};
  const ansi = /\x1b\[[0-9;]*m/g;
  for (let i = 0; i < urls.length; i++) {
    const read = (name) => {
      try {
        return readFileSync(join(cfg.dir, `node${i}`, name), "utf8").replace(ansi, "").split("\n");
      } catch {
        return [];
      }
    };
    const app = read("app.log");
    const comet = read("cometbft.log");
    logs[`node${i}`] = {
      app_panics: app.filter((l) => /panicked/.test(l)).length,
      app_errors: app.filter((l) => /^\S+\s+ERROR\b/.test(l)).length,
      app_warnings: app.filter((l) => /^\S+\s+WARN\b/.test(l)).length,
      cometbft_consensus_failures: comet.filter((l) => /CONSENSUS FAILURE|^panic:/.test(l)).length,
      cometbft_errors: comet.filter((l) => /^E\[/.test(l)).length,
      first_app_error: app.find((l) => /panicked|^\S+\s+ERROR\b/.test(l))?.slice(0, 200) ?? null,
    };
  }
  for (const [n, l] of Object.entries(logs)) {
    if (l.app_panics) failures.push(`${n}: ${l.app_panics} panic line(s) in app.log`);
    if (l.cometbft_consensus_failures) failures.push(`${n}: CONSENSUS FAILURE / panic in cometbft.log`);
  }

  const restarts = events.filter((e) => e.event === "restart");
  const caughtUp = events.filter((e) => e.event === "caught-up");
  const crashes = events.filter((e) => e.event === "crash");

  if (appHashMismatch.length) failures.push(`app hashes disagree at ${appHashMismatch.length} height(s), first ${appHashMismatch[0].height}`);
  if (blockHashMismatch.length) failures.push(`block hashes disagree at ${blockHashMismatch.length} height(s), first ${blockHashMismatch[0]}`);
  if (missingOther.length) failures.push(`${missingOther.length} acknowledged tx(s) not in any block`);
  if (missingKill.length && !cfg.allow_kill_losses) {
    failures.push(`${missingKill.length} acknowledged tx(s) not in any block, each acked by a validator SIGKILLed within ${KILL_WINDOW_MS / 1000} s after (--allow-kill-losses excuses these)`);
  }
  if (crashes.length) failures.push(`${crashes.length} unexpected process exit(s): ${crashes.map((c) => `${c.process}${c.node}`).join(", ")}`);
  if (live.length < urls.length) failures.push(`node(s) ${urls.map((_, i) => i).filter((i) => !final[i]).join(",")} not answering at the end`);
  const spread = Math.max(...live.map((i) => heights[i])) - common;

  const report = {
    ok: failures.length === 0,
    failures,
    binary: cfg.binary,
    version: cfg.version,
    validators: urls.length,
    chain_id: cfg.chain_id,
    block_time_target: cfg.block_time,
    duration_s: loadOut.seconds,
    kill_every_s: cfg.kill_every_s,
    down_s: cfg.down_s,
    load: { rate_tx_s: cfg.rate, accounts: loadOut.accounts, queriers_per_node: cfg.queriers, sent: loadOut.sent, acked: loadOut.acked, by_kind: loadOut.by_kind, rejected_at_checktx: loadOut.rejected, sequence_resyncs: loadOut.sequence_resyncs, broadcast_errors: loadOut.broadcast_errors, failovers: loadOut.failovers, presumed_lost_by_senders: loadOut.presumed_lost },
    heights: { load_start: loadOut.start_height, load_end: loadOut.end_height, final: Object.fromEntries(urls.map((_, i) => [`node${i}`, heights[i]])), compared_up_to: common, spread_at_end: spread },
    throughput: { blocks: h1 - h0 + 1, txs_in_blocks: txsInWindow, window_s: windowS, committed_tx_s: txsInWindow / windowS, acked_tx_s: loadOut.acked / loadOut.seconds, load_txs_committed: loadTxs },
    block_time_ms: { p50: bt.p50, p99: bt.p99, max: bt.max, mean: bt.mean },
    ack_to_commit_ms: { p50: incl.p50, p99: incl.p99, max: incl.max },
    app_hash: { heights_compared: common, nodes: live.length, agree: appHashMismatch.length === 0, mismatches: appHashMismatch.slice(0, 10), block_hash_mismatches: blockHashMismatch.slice(0, 10), after_last_block: lastAppHash },
    acked_txs: { acked: acked.length, in_blocks: acked.length - missing.length, missing: missing.length, missing_acked_by_killed_node: missingKill.length, missing_other: missingOther.length, examples: missing.slice(0, 10), committed_but_failed: failedInBlock },
    kills: kills.map((e) => {
      const r = restarts.find((x) => x.node === e.node && x.t > e.t);
      const c = caughtUp.find((x) => x.node === e.node && x.t > e.t);
      return { node: e.node, at_s: Math.round((e.t - loadOut.start_ms) / 1000), height: e.height, down_s: r ? (r.t - e.t) / 1000 : null, caught_up_s_after_restart: c && r ? (c.t - r.t) / 1000 : null };
    }),
    crashes,
    logs,
    queries: loadOut.queries,
  };
  writeFileSync(join(cfg.dir, "report.json"), JSON.stringify(report, null, 2));
  printReport(report, join(cfg.dir, "report.json"));
  process.exitCode = report.ok ? 0 : 1;
}

function printReport(r, path) {
  const f = (x, d = 1) => (x === null || x === undefined ? "-" : typeof x === "number" ? x.toFixed(d) : String(x));
  const rows = [
    ["validators", `${r.validators} (${r.chain_id}, target block time ${r.block_time_target})`],
    ["binary", `${r.binary} (${r.version})`],
    ["load duration", `${r.duration_s} s, one validator SIGKILLed every ${r.kill_every_s} s, down ${r.down_s} s`],
    ["load", `${r.load.rate_tx_s} tx/s target over ${r.load.accounts} accounts; ${r.load.queriers_per_node} heavy queriers per node`],
    ["txs sent / acked", `${r.load.sent} / ${r.load.acked} (bank ${r.load.by_kind.bank.acked}, cw20 ${r.load.by_kind.cw20.acked}, contract call ${r.load.by_kind.call.acked})`],
    ["rejected at CheckTx", `${Object.values(r.load.rejected_at_checktx).reduce((a, b) => a + b, 0)} (sequence resyncs ${r.load.sequence_resyncs})`],
    ["broadcast errors", `${Object.values(r.load.broadcast_errors).reduce((a, b) => a + b, 0)} (failovers to another node ${r.load.failovers})`],
    ["blocks in load window", `${r.throughput.blocks} (heights ${r.heights.load_start + 1}..${Math.min(r.heights.load_end, r.heights.compared_up_to)}, ${f(r.throughput.window_s)} s of block time)`],
    ["committed tx/s", `${f(r.throughput.committed_tx_s, 2)} (${r.throughput.txs_in_blocks} txs in blocks; acked ${f(r.throughput.acked_tx_s, 2)} tx/s)`],
    ["block time", `p50 ${f(r.block_time_ms.p50, 0)} ms, p99 ${f(r.block_time_ms.p99, 0)} ms, max ${f(r.block_time_ms.max, 0)} ms, mean ${f(r.block_time_ms.mean, 0)} ms`],
    ["ack to commit", `p50 ${f(r.ack_to_commit_ms.p50, 0)} ms, p99 ${f(r.ack_to_commit_ms.p99, 0)} ms, max ${f(r.ack_to_commit_ms.max, 0)} ms`],
    ["app hash agreement", `${r.app_hash.agree ? "AGREE" : "DISAGREE"}: heights 1..${r.app_hash.heights_compared} on ${r.app_hash.nodes} nodes${r.app_hash.block_hash_mismatches.length ? `; block hashes differ at ${r.app_hash.block_hash_mismatches.join(",")}` : ""}${r.app_hash.after_last_block ? `; after block ${r.app_hash.after_last_block.height}: ${r.app_hash.after_last_block.agree ? "agree" : "DISAGREE"}` : ""}`],
    ["acked txs in blocks", `${r.acked_txs.in_blocks} / ${r.acked_txs.acked}; missing ${r.acked_txs.missing} (acked by a node killed within 5 s: ${r.acked_txs.missing_acked_by_killed_node}, other: ${r.acked_txs.missing_other})`],
    ["committed but failed", `${Object.values(r.acked_txs.committed_but_failed).reduce((a, b) => a + b, 0)}`],
    ["final heights", `${Object.entries(r.heights.final).map(([n, h]) => `${n} ${h ?? "down"}`).join(", ")} (spread ${r.heights.spread_at_end})`],
    ["kills", r.kills.length ? r.kills.map((k) => `node${k.node}@${k.at_s}s (h ${k.height}, down ${f(k.down_s, 0)} s, caught up ${f(k.caught_up_s_after_restart, 0)} s after restart)`).join("; ") : "none"],
    ["unexpected exits", r.crashes.length ? r.crashes.map((c) => `${c.process}${c.node}`).join(", ") : "none"],
    ["node logs (node0/1/…)", ((per) => `app panics ${per("app_panics")}, ERROR ${per("app_errors")}, WARN ${per("app_warnings")}; cometbft consensus failures ${per("cometbft_consensus_failures")}, E lines ${per("cometbft_errors")}`)((key) => Object.values(r.logs).map((l) => l[key]).join("/"))],
  ];
  for (const [k, q] of Object.entries(r.queries)) {
    rows.push([`query ${k}`, `ok ${q.ok}${q.out_of_gas ? ` + gas cap ${q.out_of_gas}` : ""}, busy ${q.busy}, errors ${q.error}, node down ${q.node_down}; p50 ${f(q.latency_ms_p50, 0)} ms, p99 ${f(q.latency_ms_p99, 0)} ms`]);
  }
  const w = Math.max(...rows.map(([k]) => k.length));
  log("");
  log("=".repeat(78));
  log(`OpenLedger soak report: ${r.ok ? "PASS" : "FAIL"}`);
  log("=".repeat(78));
  for (const [k, v] of rows) log(`${k.padEnd(w)}  ${v}`);
  for (const [k, v] of Object.entries(r.load.rejected_at_checktx)) log(`${"".padEnd(w)}  rejected ×${v}: ${k}`);
  for (const [k, v] of Object.entries(r.acked_txs.committed_but_failed)) log(`${"".padEnd(w)}  failed in block ×${v}: ${k}`);
  for (const m of r.acked_txs.examples) log(`${"".padEnd(w)}  missing ${m.h} (${m.k}, account ${m.a}, seq ${m.s}, acked by node${m.n}${m.acked_by_killed_node ? `, killed ${m.acked_by_killed_node.kill_ms_after_ack} ms later` : ""})`);
  for (const f2 of r.failures) log(`FAILURE: ${f2}`);
  log(`report: ${path}`);
}

// ---------- main ----------

const opt = args(process.argv.slice(2));
const cmd = opt._[0];
const commands = { addresses: cmdAddresses, setup: cmdSetup, load: cmdLoad, report: cmdReport };
if (!commands[cmd]) {
  console.error(`usage: node soak.mjs addresses|setup|load|report --dir D (see scripts/soak.sh --help)`);
  process.exit(2);
}
commands[cmd](opt).catch((e) => {
  console.error(`soak ${cmd}: ${e.stack ?? e}`);
  process.exit(1);
});

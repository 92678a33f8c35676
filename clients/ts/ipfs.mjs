// IPFS for OpenLedger content, through a kubo daemon's HTTP RPC (`/api/v0/...`, all POST), added
// exactly as the attester and the gateway add it: CIDv1, raw leaves, sha2-256, 1 MiB chunks. Content
// of at most one chunk is then a single raw block whose CID is its sha256 in another alphabet
// (`rawCid`), which the chain's content hash alone finds; larger content is found by the
// `ipfs://<cid>` its contribution records. Readers check every byte against the on-chain sha256.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";

export const BLOCK_SIZE = 1 << 20;
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** The CIDv1 (raw codec, sha2-256) of content that is one block, from its hex sha256. */
export function rawCid(sha256hex) {
  const bytes = Buffer.concat([Buffer.from([1, 0x55, 0x12, 32]), Buffer.from(sha256hex, "hex")]);
  let out = "b";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31];
  return out;
}

export const sha256hex = (bytes) => createHash("sha256").update(bytes).digest("hex");

export class Ipfs {
  /** `api`: the RPC's base, e.g. http://127.0.0.1:5001. */
  constructor(api, { timeoutMs = 30_000 } = {}) {
    this.api = api.replace(/\/+$/, "");
    this.timeoutMs = timeoutMs;
  }

  async #post(call, body) {
    let res;
    try {
      res = await fetch(`${this.api}/api/v0/${call}`, { method: "POST", body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new Error(`IPFS daemon ${this.api}: ${call.split("?")[0]}: ${e.cause?.message ?? e.message} (is it running?)`);
    }
    if (!res.ok) {
      const text = await res.text();
      let message = text.slice(0, 300);
      try {
        message = JSON.parse(text).Message ?? message;
      } catch {}
      throw new Error(`IPFS daemon ${this.api}: ${call.split("?")[0]}: ${res.status} ${message}`);
    }
    return res;
  }

  /** The daemon's peer id and addresses. */
  async id() {
    return (await this.#post("id")).json();
  }

  /** Adds and pins `bytes`: `{ cid, sha256, uri }`. A one-block CID must be the one the sha256 names. */
  async add(bytes) {
    const form = new FormData();
    form.append("file", new Blob([bytes]), "content");
    const res = await this.#post(`add?cid-version=1&raw-leaves=true&hash=sha2-256&chunker=size-${BLOCK_SIZE}&pin=true&progress=false&quieter=true`, form);
    const lines = (await res.text()).trim().split("\n");
    const cid = JSON.parse(lines[lines.length - 1]).Hash;
    const sha256 = sha256hex(bytes);
    if (bytes.length <= BLOCK_SIZE && cid !== rawCid(sha256)) {
      throw new Error(`IPFS daemon ${this.api}: ${bytes.length} bytes came back as ${cid}, not ${rawCid(sha256)} (ignored cid-version / raw-leaves?)`);
    }
    return { cid, sha256, uri: `ipfs://${cid}` };
  }

  /** The bytes `cid` names (from this daemon or its peers), checked against `sha256` when given. */
  async cat(cid, { sha256 } = {}) {
    const bytes = Buffer.from(await (await this.#post(`cat?arg=${cid}`)).arrayBuffer());
    if (sha256 && sha256hex(bytes) !== sha256) throw new Error(`${cid}: the bytes do not hash to ${sha256}`);
    return bytes;
  }

  /** Connects this daemon to a peer (`/ip4/…/tcp/…/p2p/…`). */
  async connect(multiaddr) {
    await this.#post(`swarm/connect?arg=${encodeURIComponent(multiaddr)}`);
  }
}

/**
 * A kubo daemon of its own, for one party of a demo or a test: a fresh repo in `repo`, every
 * listener on a loopback port the OS picks, no bootstrap peers, no content routing (peers are
 * connected with `connect`; bitswap asks connected peers directly). `bin`: the kubo binary
 * (scripts/setup.sh builds it into $(go env GOPATH)/bin). Returns `{ ipfs, api, multiaddr, stop }`.
 */
export async function startKubo({ bin, repo, timeoutMs = 60_000 }) {
  const run = (...args) => {
    const r = spawnSync(bin, ["--repo-dir", repo, ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ipfs ${args.join(" ")} (repo ${repo}) failed: ${r.error?.message ?? r.stderr}`);
  };
  mkdirSync(repo, { recursive: true });
  if (!existsSync(join(repo, "config"))) run("init", "--empty-repo", "--profile", "test");
  for (const [key, json] of [["Routing.Type", '"none"'], ["Addresses.Gateway", "[]"], ["Bootstrap", "[]"]]) run("config", "--json", key, json);
  const log = openSync(join(repo, "daemon.log"), "a");
  const proc = spawn(bin, ["--repo-dir", repo, "daemon"], { stdio: ["ignore", log, log] });
  let exited = null;
  proc.on("exit", (code, signal) => (exited = { code, signal }));
  const stop = () => new Promise((ok) => (exited ? ok() : (proc.once("exit", () => ok()), proc.kill("SIGTERM"))));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`kubo (repo ${repo}) exited ${JSON.stringify(exited)}; see ${join(repo, "daemon.log")}`);
    // The daemon writes its RPC's multiaddr to <repo>/api once it listens.
    const m = existsSync(join(repo, "api")) && readFileSync(join(repo, "api"), "utf8").trim().match(/^\/ip4\/([^/]+)\/tcp\/(\d+)$/);
    if (m) {
      const api = `http://${m[1]}:${m[2]}`;
      const ipfs = new Ipfs(api, { timeoutMs: 30_000 });
      const id = await ipfs.id().catch(() => null);
      if (id) {
        const multiaddr = id.Addresses.find((a) => a.startsWith("/ip4/127.0.0.1/tcp/"));
        if (!multiaddr) throw new Error(`kubo (repo ${repo}) has no loopback TCP address: ${id.Addresses}`);
        return { ipfs, api, multiaddr, proc, stop };
      }
    }
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`kubo (repo ${repo}) did not answer in ${timeoutMs / 1000} s; see ${join(repo, "daemon.log")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The kubo binary: $IPFS_BIN, else $(go env GOPATH)/bin/ipfs, else `ipfs` on PATH. */
export function kuboBinary() {
  if (process.env.IPFS_BIN) return process.env.IPFS_BIN;
  const gopath = spawnSync("go", ["env", "GOPATH"], { encoding: "utf8" }).stdout?.trim();
  const candidates = [gopath && join(gopath, "bin", "ipfs"), ...(process.env.PATH ?? "").split(delimiter).map((d) => join(d, "ipfs"))];
  const found = candidates.find((p) => p && existsSync(p));
  if (!found) throw new Error("kubo (ipfs) not found: run scripts/setup.sh, or set IPFS_BIN");
  return found;
}

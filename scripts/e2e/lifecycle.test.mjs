// The lifecycle acceptance test: checks the receipt scripts/demo.sh wrote (OPENLEDGER_RECEIPT)
// against the chain itself and against the escrow's published formulas, recomputed here:
// contributors are paid by the influence of their rows on each answer (the France answer pays
// dave's row, the Madrid answer frank's), every party's exact OPEN balance change, the liar's
// slashes, the crashed attester's single commit, an escrow left holding nothing of these jobs,
// and receipts whose Merkle proofs check offline and fail once a row or a weight is altered.
//
// Needs OPENLEDGER_RPC, OPENLEDGER_CONTRACTS, OPENLEDGER_RECEIPT and OPENLEDGER_ATTESTER_BIN
// (scripts/e2e-dev.sh sets them).
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { CosmWasmClient } from "@cosmjs/cosmwasm";

import { RPC, REQUIRED } from "./chain-env.mjs";

const RECEIPT = process.env.OPENLEDGER_RECEIPT;
const CONTRACTS = process.env.OPENLEDGER_CONTRACTS;
const ATTESTER = process.env.OPENLEDGER_ATTESTER_BIN;
const skip = !RECEIPT || !CONTRACTS || !ATTESTER ? "OPENLEDGER_RECEIPT / OPENLEDGER_CONTRACTS / OPENLEDGER_ATTESTER_BIN not set (scripts/e2e-dev.sh runs this)" : false;
if (skip && REQUIRED) throw new Error(skip);

const BPS = 10_000n;
const big = (x) => BigInt(x);
const floorRatio = (amount, num, den) => (den === 0n ? 0n : (amount * num) / den);

describe("lifecycle: contribution → inference → attribution → payment by influence", { skip }, () => {
  let r, client, addr, params, onChain, treasury;
  const q = (contract, msg) => client.queryContractSmart(addr[contract], msg);
  const party = (name) => {
    const p = r.parties.find((x) => x.name === name);
    assert.ok(p, `party ${name} in the receipt`);
    return p;
  };
  const rowOf = (id) => r.rows.find((x) => x.id === id);
  /** `openledger-attester receipt verify FILE`: exit status and output. */
  const verify = (file) => {
    const out = spawnSync(ATTESTER, ["receipt", "verify", file], { encoding: "utf8", env: { ...process.env, RUST_LOG: "warn" } });
    return { status: out.status, text: `${out.stdout}${out.stderr}` };
  };

  before(async () => {
    r = JSON.parse(readFileSync(RECEIPT, "utf8"));
    const deployment = JSON.parse(readFileSync(CONTRACTS, "utf8"));
    addr = Object.fromEntries(Object.entries(deployment.contracts).map(([k, v]) => [k, v.address]));
    client = await CosmWasmClient.connect(RPC);
    params = (await q("attribution_escrow", { config: {} })).params;
    treasury = (await q("attribution_escrow", { config: {} })).treasury;
    onChain = await Promise.all(r.jobs.map((j) => q("attribution_escrow", { job: { job_id: j.job_id } })));
  });

  test("the receipt holds this chain's settled jobs, with the results the attesters agreed on", async () => {
    assert.equal(r.chain_id, await client.getChainId());
    assert.equal(r.jobs.length, 2, "two questions: France and Madrid");
    for (const [i, j] of r.jobs.entries()) {
      const { job } = onChain[i];
      assert.equal(job.status, "settled");
      assert.equal(job.spec.method, "suffix_span");
      assert.deepEqual(job.result, { result_hash: j.attribution.result_hash, weights_bps: j.attribution.weights_bps, contributions: j.attribution.contributions.map(({ datanet_id, version, contribution_id, bps }) => ({ datanet_id, version, contribution_id, bps })) });
      assert.equal(job.max_contributions, params.max_contributions, "the job carries the K it was requested under");
      assert.equal(j.attribution.weights_bps.reduce((s, w) => s + w.bps, 0), 10_000, "Datanet weights sum to 10 000 bps");
      assert.ok(j.attribution.contributions.length > 0, `some row influenced ${JSON.stringify(j.answer)}`);
      assert.ok(j.attribution.contributions.length <= params.max_contributions);
      for (const c of j.attribution.contributions) assert.ok(rowOf(c.contribution_id)?.accept, `paid contribution #${c.contribution_id} is an accepted row`);
      // Every row with positive influence is named (fewer than K here), with the same shares.
      assert.deepEqual(
        j.attribution.contributions.map((c) => [c.contribution_id, c.bps]),
        j.attribution.influence.map((c) => [c.contribution_id, c.influence_bps]),
      );
    }
  });

  test("the France answer pays dave's row the whole contributor share; the Madrid answer pays frank", async () => {
    const [france, madrid] = r.jobs;
    assert.match(france.prompt, /France/);
    assert.match(madrid.prompt, /Madrid/);
    const owners = (j) => [...new Set(j.attribution.contributions.map((c) => rowOf(c.contribution_id).contributor))];
    assert.deepEqual(owners(france), ["dave"], `France is attributed to dave alone: ${JSON.stringify(france.attribution.contributions)}`);
    assert.equal(france.attribution.contributions.reduce((s, c) => s + c.bps, 0), 10_000);
    assert.ok(owners(madrid).includes("frank"), `Madrid is attributed to frank: ${JSON.stringify(madrid.attribution.contributions)}`);
    assert.ok(!owners(madrid).includes("dave") && !owners(france).includes("frank"));

    // What each row earned on chain (ContributionEarnings) is its share of δ of the jobs that
    // named it: dave's France row gets δ of the France job minus only the flooring dust.
    const delta = (j) => floorRatio(big(j.fee) - big(j.platform_fee), big(params.delta_bps), BPS);
    const earned = async (j, who) => {
      let sum = 0n;
      for (const c of j.attribution.contributions.filter((c) => rowOf(c.contribution_id).contributor === who)) {
        const e = await q("attribution_escrow", { contribution_earnings: { contribution_id: c.contribution_id } });
        assert.equal(e.jobs, 1, `row #${c.contribution_id} was paid by one job`);
        assert.equal(e.contributor, rowOf(c.contribution_id).address);
        sum += big(e.earned);
      }
      return sum;
    };
    const daveEarned = await earned(france, "dave");
    const dust = delta(france) - daveEarned;
    assert.ok(dust >= 0n && dust <= BigInt(france.attribution.contributions.length), `dust ${dust} within the rule (≤ one unit per paid row)`);
    assert.equal(party("dave").earned, String(daveEarned), "dave earned exactly his France rows' share");
    const frankEarned = await earned(madrid, "frank");
    assert.ok(frankEarned > 0n, "frank was paid for the Madrid answer");
    assert.equal(party("frank").earned, String(frankEarned));
    // carol's rows (about Paris, the highest validation scores) influenced neither answer.
    assert.equal(party("carol").earned, "0", "a high validation score alone earns nothing");
  });

  test("exact OPEN balances of every party after settlement and claims", async () => {
    const expected = new Map();
    const add = (name, x) => expected.set(name, (expected.get(name) ?? 0n) + x);
    const nameOf = (address) => r.parties.find((p) => p.address === address)?.name;
    let pooledLeft = 0n;
    for (const [i, j] of r.jobs.entries()) {
      const { job, assignments } = onChain[i];
      const fee = big(job.fee);
      const platform = big(job.platform_fee);
      const net = fee - platform;
      assert.equal(big(j.fee), fee);
      const model = await q("model_registry", { model: { model_id: r.model.id } });
      assert.equal(fee, (big(j.tokens.input) * big(model.price_in_per_1k) + big(j.tokens.output) * big(model.price_out_per_1k)) / 1000n + big(params.platform_fee), "the fee is the model's price for the served tokens");
      const owner = floorRatio(net, big(params.beta_bps), BPS);
      const attesterPot = floorRatio(net, big(params.gamma_bps), BPS);
      const delta = floorRatio(net, big(params.delta_bps), BPS);
      let toTreasury = platform + (net - owner - attesterPot - delta);
      add("payer", -fee);
      add("model_owner", owner);
      // γ: in-quorum attesters pro rata to their assigned stake.
      const inQuorum = assignments.filter((a) => a.status === "in_quorum");
      const quorumStake = inQuorum.reduce((s, a) => s + big(a.stake), 0n);
      let paidAttesters = 0n;
      for (const a of inQuorum) {
        const share = floorRatio(attesterPot, big(a.stake), quorumStake);
        add(nameOf(a.attester), share);
        paidAttesters += share;
      }
      toTreasury += attesterPot - paidAttesters;
      // δ: each version's part by weights_bps; each named row its bps of that part (times its
      // contributor's reward multiplier); what the named rows leave, by validation score.
      let paidDelta = 0n;
      for (const w of job.result.weights_bps) {
        const part = floorRatio(delta, big(w.bps), BPS);
        paidDelta += part;
        let left = part;
        let listedBps = 0n;
        for (const c of job.result.contributions.filter((c) => c.datanet_id === w.datanet_id && c.version === w.version)) {
          const pay = floorRatio(part, big(c.bps), BPS);
          listedBps += big(c.bps);
          const row = rowOf(c.contribution_id);
          const share = await q("datanet_registry", { contributor_share: { datanet_id: w.datanet_id, version: w.version, contributor: row.address } });
          const payable = floorRatio(pay, big(share.reward_multiplier_bps), BPS);
          add(row.contributor, payable);
          toTreasury += pay - payable;
          left -= pay;
        }
        const version = await q("datanet_registry", { version: { datanet_id: w.datanet_id, version: w.version } });
        const pooled = listedBps < BPS && big(version.total_weight) > 0n ? floorRatio(part, BPS - listedBps, BPS) : 0n;
        assert.equal(pooled, 0n, "every influential row is named, so nothing goes to the validation-score pool");
        pooledLeft += pooled;
        toTreasury += left - pooled;
      }
      toTreasury += delta - paidDelta;
      add("treasury", toTreasury);
    }
    const slashed = r.attesters.reduce((s, a) => s + big(a.slashed), 0n);
    add("treasury", slashed);
    expected.set("escrow", pooledLeft);
    for (const p of r.parties) {
      assert.equal(big(p.earned), expected.get(p.name) ?? 0n, `${p.name} earned`);
      const now = big((await q("open_token", { balance: { address: p.address } })).balance);
      assert.equal(now, big(p.open_after), `${p.name}'s balance on chain is the receipt's`);
    }
    assert.equal(party("treasury").address, treasury);
    const total = r.parties.reduce((s, p) => s + big(p.earned), 0n);
    assert.equal(total, slashed, "OPEN is conserved (the slashes moved stake from the registry to the treasury)");
  });

  test("the liar deviated on every job and was slashed for each and jailed; the honest attesters were paid", () => {
    const liars = r.attesters.filter((a) => a.liar);
    assert.equal(liars.length, 1, "the demo ran with --liar");
    for (const a of r.attesters) {
      for (const [i, j] of r.jobs.entries()) {
        const as = onChain[i].assignments.find((x) => x.attester === a.address);
        assert.equal(as.status, a.assignments[j.job_id]);
        assert.equal(as.status, a.liar ? "deviated" : "in_quorum", `${a.name} on job ${j.job_id}`);
      }
      if (a.liar) {
        // Each deviation slashes slash_deviation_bps of what is still bonded.
        let bonded = big(a.bonded_before);
        let slash = 0n;
        for (let n = 0; n < r.jobs.length; n++) {
          const s = floorRatio(bonded, big(params.slash_deviation_bps), BPS);
          slash += s;
          bonded -= s;
        }
        assert.ok(slash > 0n);
        assert.equal(big(a.slashed), slash);
        assert.equal(big(a.bonded_after), big(a.bonded_before) - slash);
        assert.ok("jailed" in a.status_after, `liar is jailed: ${JSON.stringify(a.status_after)}`);
        assert.equal(party(a.name).earned, "0");
      } else {
        assert.equal(a.slashed, "0");
        assert.equal(a.bonded_after, a.bonded_before);
        assert.ok(big(party(a.name).earned) > 0n);
      }
    }
  });

  test("the attester killed mid-job revealed what it had committed, once", () => {
    const crashed = r.attesters.filter((a) => a.restarted);
    assert.equal(crashed.length, 1, "the demo ran with --crash");
    const [a] = crashed;
    const i = r.jobs.findIndex((j) => j.job_id === r.crash_job);
    assert.equal(a.assignments[r.crash_job], "in_quorum", "not missed, not equivocated");
    assert.equal(a.journal.job_id, r.crash_job);
    assert.ok(a.journal.commit_tx && a.journal.reveal_tx, "one commit and one reveal in its journal");
    assert.equal(a.journal.result.result_hash, r.jobs[i].attribution.result_hash);
    const as = onChain[i].assignments.find((x) => x.attester === a.address);
    assert.equal(as.commitment, a.journal.commitment);
  });

  test("the escrow holds nothing of these jobs", async () => {
    const before = r.escrow.ledger_before;
    const after = await q("attribution_escrow", { ledger: {} });
    const held = (l) => big(l.escrowed) + big(l.credited) + big(l.pools_outstanding);
    assert.equal(held(after), held(before), "escrowed + credited + pools back where they were");
    assert.equal(after.escrowed, before.escrowed);
    assert.equal(after.credited, before.credited, "every credited share was claimed");
    const balance = big((await q("open_token", { balance: { address: addr.attribution_escrow } })).balance);
    assert.equal(balance, held(after), "the escrow's OPEN balance is exactly its ledger");
    assert.equal(party("escrow").earned, "0", "nothing is left behind");
  });

  test("the receipts' proofs check offline against the chain's roots, and altered rows or weights are refused", async () => {
    const version = await q("datanet_registry", { version: { datanet_id: r.datanet.id, version: r.datanet.version } });
    let evidence = 0;
    for (const [i, j] of r.jobs.entries()) {
      const { job } = onChain[i];
      const quorum = onChain[i].assignments.filter((a) => a.status === "in_quorum").length;
      assert.equal(j.evidence.length, quorum, "one receipt per attester in quorum");
      for (const e of j.evidence) {
        evidence += 1;
        // What the offline check cannot know, checked against the chain here.
        assert.deepEqual(e.packet.data.result, job.result, "the receipt's signed result is the settled one");
        assert.equal(e.packet.data.spec_hash, job.spec_hash);
        const attester = await q("attester_registry", { attester: { operator: e.packet.data.attester } });
        assert.equal(attester.pubkey, e.attester_pubkey, "signed with the key the registry holds");
        for (const d of e.spec.datanets) assert.equal(d.root, version.merkle_root);
        assert.equal(e.contributions.length, job.result.contributions.length);
        for (const c of e.contributions) {
          assert.equal(c.contributor, rowOf(c.contribution_id).address);
          assert.equal(c.proof.length, 32);
          assert.ok(c.spans.length > 0, `row #${c.contribution_id} shows its matched span`);
        }
      }
    }
    const ok = verify(RECEIPT);
    assert.equal(ok.status, 0, ok.text);
    assert.match(ok.text, new RegExp(`^${evidence} receipt\\(s\\) verified$`, "m"));

    const dir = mkdtempSync(join(tmpdir(), "receipt-"));
    const altered = (what, change) => {
      const copy = JSON.parse(JSON.stringify(r));
      change(copy.jobs[0].evidence[0].contributions[0]);
      const f = join(dir, `${what}.json`);
      writeFileSync(f, JSON.stringify(copy));
      const out = verify(f);
      assert.notEqual(out.status, 0, `a receipt with an altered ${what} is refused`);
      return out.text;
    };
    assert.match(altered("row", (c) => (c.row = c.row.replace("Paris", "Lyon"))), /hash/);
    assert.match(altered("weight", (c) => (c.bps -= 1)), /signed result/);
    assert.match(altered("row and hash", (c) => {
      const other = r.rows.find((x) => x.accept && x.id !== c.contribution_id);
      c.row = other.text;
      c.content_hash = other.hash;
    }), /Merkle proof/);
  });
});

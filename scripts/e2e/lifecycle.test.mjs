// The lifecycle acceptance test: checks the receipt scripts/demo.sh wrote (OPENLEDGER_RECEIPT)
// against the chain itself and against the escrow's published formulas, recomputed here:
// every party's exact OPEN balance change, the liar's slash, the crashed attester's single
// commit, and an escrow left holding nothing of this job.
//
// Needs OPENLEDGER_RPC, OPENLEDGER_CONTRACTS and OPENLEDGER_RECEIPT (scripts/e2e-dev.sh sets them).
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { CosmWasmClient } from "@cosmjs/cosmwasm";

import { RPC, REQUIRED } from "./chain-env.mjs";

const RECEIPT = process.env.OPENLEDGER_RECEIPT;
const CONTRACTS = process.env.OPENLEDGER_CONTRACTS;
const skip = !RECEIPT || !CONTRACTS ? "OPENLEDGER_RECEIPT / OPENLEDGER_CONTRACTS not set (scripts/e2e-dev.sh runs this)" : false;
if (skip && REQUIRED) throw new Error(skip);

const BPS = 10_000n;
const big = (x) => BigInt(x);
const floorRatio = (amount, num, den) => (den === 0n ? 0n : (amount * num) / den);

describe("lifecycle: contribution → inference → attribution → payment", { skip }, () => {
  let r, client, addr, job, params;
  const q = (contract, msg) => client.queryContractSmart(addr[contract], msg);
  const party = (name) => {
    const p = r.parties.find((x) => x.name === name);
    assert.ok(p, `party ${name} in the receipt`);
    return p;
  };

  before(async () => {
    r = JSON.parse(readFileSync(RECEIPT, "utf8"));
    const deployment = JSON.parse(readFileSync(CONTRACTS, "utf8"));
    addr = Object.fromEntries(Object.entries(deployment.contracts).map(([k, v]) => [k, v.address]));
    client = await CosmWasmClient.connect(RPC);
    job = await q("attribution_escrow", { job: { job_id: r.job_id } });
    params = (await q("attribution_escrow", { config: {} })).params;
  });

  test("the receipt is this chain's settled job, with the result the attesters agreed on", async () => {
    assert.equal(r.chain_id, await client.getChainId());
    assert.equal(job.job.status, "settled");
    assert.deepEqual(job.job.result, { result_hash: r.attribution.result_hash, weights_bps: r.attribution.weights_bps });
    assert.equal(job.job.spec.method, "suffix_span");
    const sum = r.attribution.weights_bps.reduce((s, w) => s + w.bps, 0);
    assert.equal(sum, 10_000, "Datanet weights sum to 10 000 bps");
    assert.ok(r.attribution.contributions.length > 0, "some contribution influenced the answer");
    for (const c of r.attribution.contributions) {
      const row = r.rows.find((x) => x.id === c.contribution_id);
      assert.ok(row?.accept, `influential contribution #${c.contribution_id} is an accepted row`);
    }
    assert.ok(r.answer.length > 0);
  });

  test("the fee is the model's price for the served tokens", async () => {
    const model = await q("model_registry", { model: { model_id: r.model.id } });
    const fee = (big(r.tokens.input) * big(model.price_in_per_1k) + big(r.tokens.output) * big(model.price_out_per_1k)) / 1000n + big(params.platform_fee);
    assert.equal(big(job.job.fee), fee);
    assert.equal(big(r.fee), fee);
    assert.equal(party("payer").earned, String(-fee));
  });

  test("exact OPEN balances of every party after settlement and claims", async () => {
    const fee = big(job.job.fee);
    const platform = big(job.job.platform_fee);
    const net = fee - platform;
    const owner = floorRatio(net, big(params.beta_bps), BPS);
    const attesterPot = floorRatio(net, big(params.gamma_bps), BPS);
    const contributorPot = floorRatio(net, big(params.delta_bps), BPS);
    let dust = net - owner - attesterPot - contributorPot;

    // γ: in-quorum attesters pro rata to their assigned stake.
    const inQuorum = job.assignments.filter((a) => a.status === "in_quorum");
    const quorumStake = inQuorum.reduce((s, a) => s + big(a.stake), 0n);
    const attesterShare = new Map(inQuorum.map((a) => [a.attester, floorRatio(attesterPot, big(a.stake), quorumStake)]));
    dust += attesterPot - [...attesterShare.values()].reduce((s, x) => s + x, 0n);

    // δ: the pool of each Datanet version by weights_bps, then contributors by their weight in it.
    const expected = new Map();
    let pooled = 0n;
    let drawn = 0n;
    for (const w of job.job.result.weights_bps) {
      const pool = floorRatio(contributorPot, big(w.bps), BPS);
      pooled += pool;
      const version = await q("datanet_registry", { version: { datanet_id: w.datanet_id, version: w.version } });
      for (const p of r.parties) {
        const share = await q("datanet_registry", { contributor_share: { datanet_id: w.datanet_id, version: w.version, contributor: p.address } });
        if (big(share.weight) === 0n) continue;
        // The weight is the sum of the validation scores of the contributor's accepted rows.
        const fromRows = r.rows.filter((x) => x.address === p.address && x.accept).reduce((s, x) => s + big(x.score_bps), 0n);
        assert.equal(big(share.weight), fromRows, `${p.name}'s weight`);
        const entitled = floorRatio(pool, big(share.weight), big(version.total_weight));
        const payable = floorRatio(entitled, big(share.reward_multiplier_bps), BPS);
        expected.set(p.name, (expected.get(p.name) ?? 0n) + payable);
        drawn += entitled;
      }
    }
    dust += contributorPot - pooled;
    const slashed = r.attesters.reduce((s, a) => s + big(a.slashed), 0n);

    expected.set("payer", -fee);
    expected.set("model_owner", owner);
    for (const a of r.attesters) expected.set(a.name, attesterShare.get(a.address) ?? 0n);
    expected.set("treasury", platform + dust + slashed);
    expected.set("escrow", pooled - drawn);
    for (const p of r.parties) {
      assert.equal(big(p.earned), expected.get(p.name) ?? 0n, `${p.name} earned`);
      const now = big((await q("open_token", { balance: { address: p.address } })).balance);
      assert.equal(now, big(p.open_after), `${p.name}'s balance on chain is the receipt's`);
    }
    const contributorsPaid = r.parties.filter((p) => r.rows.some((x) => x.address === p.address)).reduce((s, p) => s + big(p.earned), 0n);
    assert.ok(contributorsPaid > 0n, "contributors were paid");
    // Conservation: everything the payer paid went to someone.
    const total = r.parties.reduce((s, p) => s + big(p.earned), 0n);
    assert.equal(total, slashed, "OPEN is conserved (the slash moved stake from the registry to the treasury)");
  });

  test("the liar deviated and was slashed and jailed; the honest attesters were paid", () => {
    const liars = r.attesters.filter((a) => a.liar);
    assert.equal(liars.length, 1, "the demo ran with --liar");
    for (const a of r.attesters) {
      const onChain = job.assignments.find((x) => x.attester === a.address);
      assert.equal(onChain.status, a.assignment);
      if (a.liar) {
        assert.equal(a.assignment, "deviated");
        const slash = floorRatio(big(a.bonded_before), big(params.slash_deviation_bps), BPS);
        assert.ok(slash > 0n);
        assert.equal(big(a.slashed), slash);
        assert.equal(big(a.bonded_after), big(a.bonded_before) - slash);
        assert.ok("jailed" in a.status_after, `liar is jailed: ${JSON.stringify(a.status_after)}`);
        assert.equal(party(a.name).earned, "0");
      } else {
        assert.equal(a.assignment, "in_quorum");
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
    assert.equal(a.assignment, "in_quorum", "not missed, not equivocated");
    assert.equal(a.journal.job_id, r.job_id);
    assert.ok(a.journal.commit_tx && a.journal.reveal_tx, "one commit and one reveal in its journal");
    assert.equal(a.journal.result.result_hash, r.attribution.result_hash);
    const onChain = job.assignments.find((x) => x.attester === a.address);
    assert.equal(onChain.commitment, a.journal.commitment);
  });

  test("the escrow holds nothing of this job", async () => {
    const before = r.escrow.ledger_before;
    const after = await q("attribution_escrow", { ledger: {} });
    const held = (l) => big(l.escrowed) + big(l.credited) + big(l.pools_outstanding);
    assert.equal(held(after), held(before), "escrowed + credited + pools back where they were");
    assert.equal(after.escrowed, before.escrowed);
    assert.equal(after.credited, before.credited, "every credited share was claimed");
    const balance = big((await q("open_token", { balance: { address: addr.attribution_escrow } })).balance);
    assert.equal(balance, held(after), "the escrow's OPEN balance is exactly its ledger");
    assert.equal(party("escrow").earned, "0", "this demo's prices divide exactly: nothing is left behind");
  });
});

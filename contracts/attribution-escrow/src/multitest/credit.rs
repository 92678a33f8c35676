//! Prepaid inference credit and API keys: deposits (native and CW20) and withdrawals, jobs a
//! gateway opens against a payer's credit with his key, every way a key is refused (changing
//! nothing), and refunds of credit-paid jobs back to the credit.

use cosmwasm_std::{coin, Api, CanonicalAddr, Coin};
use cw_utils::PaymentError;
use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::{Signature, SigningKey};
use openledger_types::api_key::{pubkey_address_bytes, ApiKey, ApiKeyError, ApiKeyGrant};

use super::*;

/// Fee of every job here: (10_000·200 + 5_000·600) / 1000 + 100.
const FEE: u128 = 5_100;

/// A payer's secp256k1 account key and its address (as the escrow derives it).
pub(super) struct Account {
    key: SigningKey,
    pub addr: Addr,
}

impl Account {
    pub fn new(seed: u8) -> Account {
        let key = SigningKey::from_slice(&[seed; 32]).unwrap();
        let bytes = pubkey_address_bytes(key.verifying_key().to_encoded_point(true).as_bytes());
        let addr = MockApi::default()
            .addr_humanize(&CanonicalAddr::from(bytes))
            .unwrap();
        Account { key, addr }
    }

    fn pub_key(&self) -> Binary {
        Binary::from(self.key.verifying_key().to_encoded_point(true).as_bytes())
    }

    /// An API key over exactly `grant`, signed the ADR-036 way (Keplr `signArbitrary`).
    fn sign_grant(&self, grant: &[u8]) -> ApiKey {
        let mut k = ApiKey {
            grant: Binary::from(grant),
            pub_key: self.pub_key(),
            signature: Binary::default(),
        };
        let sig: Signature = self
            .key
            .sign_prehash(&k.sign_hash(self.addr.as_str()).unwrap())
            .unwrap();
        k.signature = Binary::from(sig.to_bytes().to_vec());
        k
    }

    pub fn api_key(&self, grant: &ApiKeyGrant) -> ApiKey {
        self.sign_grant(&grant.to_bytes().unwrap())
    }
}

fn now(w: &World) -> u64 {
    w.app.block_info().time.seconds()
}

/// A grant for `gateway` on the world's chain, valid for an hour.
pub(super) fn grant(w: &World, gateway: &Addr, max_spend: Option<u128>) -> ApiKeyGrant {
    ApiKeyGrant::new(
        &w.chain_id(),
        gateway.as_str(),
        now(w) + 3_600,
        max_spend.map(Uint128::new),
    )
}

fn credit(w: &World, who: &Addr) -> u128 {
    let r: CreditResponse = w
        .app
        .wrap()
        .query_wasm_smart(
            &w.escrow,
            &QueryMsg::Credit {
                address: who.to_string(),
            },
        )
        .unwrap();
    assert_eq!(&r.address, who);
    r.credit.u128()
}

fn key_spent(w: &World, key: &ApiKey) -> u128 {
    let r: KeySpentResponse = w
        .app
        .wrap()
        .query_wasm_smart(
            &w.escrow,
            &QueryMsg::KeySpent {
                key_id: HexBinary::from(key.id().to_vec()),
            },
        )
        .unwrap();
    r.spent.u128()
}

fn native(w: &World, who: &Addr) -> u128 {
    w.app
        .wrap()
        .query_balance(who, DENOM)
        .unwrap()
        .amount
        .u128()
}

pub(super) fn exec_funded(
    w: &mut World,
    who: &Addr,
    msg: &ExecuteMsg,
    funds: &[Coin],
) -> Result<AppResponse, ContractError> {
    w.app
        .execute_contract(who.clone(), w.escrow.clone(), msg, funds)
        .map_err(|e| e.downcast().unwrap())
}

/// `from` buys `amount` of credit for `beneficiary` with native coins.
fn deposit_native(w: &mut World, from: &Addr, amount: u128, beneficiary: &Addr) {
    exec_funded(
        w,
        from,
        &ExecuteMsg::DepositCredit {
            beneficiary: Some(beneficiary.to_string()),
        },
        &coins(amount, DENOM),
    )
    .unwrap();
}

pub(super) fn request_msg(api_key: &ApiKey, model_id: u64, ask_count: Option<u32>) -> ExecuteMsg {
    ExecuteMsg::RequestJobWithCredit {
        api_key: api_key.clone(),
        model_id,
        method: Method::SuffixSpan,
        input_hash: h("prompt"),
        output_hash: h("completion"),
        input_tokens: 10_000,
        output_tokens: 5_000,
        ask_count,
        method_params: None,
    }
}

/// `gateway` opens a job charged to `api_key`'s account; returns its id.
fn request_with_key(
    w: &mut World,
    gateway: &Addr,
    api_key: &ApiKey,
    ask_count: Option<u32>,
) -> Result<u64, ContractError> {
    let msg = request_msg(api_key, w.model_id, ask_count);
    let res = w.exec(gateway, &msg)?;
    Ok(attr(&res, "job_id").parse().unwrap())
}

fn attr(res: &AppResponse, key: &str) -> String {
    res.events
        .iter()
        .flat_map(|e| &e.attributes)
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("no attribute {key}"))
        .value
        .clone()
}

fn job_count(w: &World) -> usize {
    w.jobs(None).jobs.len()
}

/// `gateway` sending `api_key` is refused with `expected`, and nothing changed: no job, the
/// payer's credit, the key's spend and the ledger as they were.
#[track_caller]
fn assert_refused(
    w: &mut World,
    gateway: &Addr,
    api_key: &ApiKey,
    payer: &Addr,
    expected: ContractError,
) {
    let before = (
        job_count(w),
        credit(w, payer),
        key_spent(w, api_key),
        w.ledger(),
    );
    assert_eq!(request_with_key(w, gateway, api_key, None), Err(expected));
    let after = (
        job_count(w),
        credit(w, payer),
        key_spent(w, api_key),
        w.ledger(),
    );
    assert_eq!(before, after);
}

/// `ready()` plus account `alice` (seed 7) holding 20_000 credit, bought by the payer, and a
/// gateway bonded with 1_000 OPEN (the registry's min_bond).
fn with_credit() -> (World, Account, Addr) {
    let mut w = ready();
    let alice = Account::new(7);
    let payer = w.payer.clone();
    deposit_native(&mut w, &payer, 20_000, &alice.addr);
    let gateway = addr("gateway");
    w.bond_gateway(&gateway, 1_000);
    (w, alice, gateway)
}

#[test]
fn credit_is_bought_with_native_or_cw20_and_withdrawn_as_native() {
    let mut w = ready();
    let (payer, escrow, token) = (w.payer.clone(), w.escrow.clone(), w.token.clone());
    let alice = Account::new(7);
    let (native_before, cw20_before) = (native(&w, &payer), w.balance(&payer));

    // native, for someone else: wrapped at once, the escrow holds CW20 only
    let res = exec_funded(
        &mut w,
        &payer,
        &ExecuteMsg::DepositCredit {
            beneficiary: Some(alice.addr.to_string()),
        },
        &coins(10_000, DENOM),
    )
    .unwrap();
    assert_eq!(attr(&res, "paid_with"), "native");
    assert_eq!(credit(&w, &alice.addr), 10_000);
    assert_eq!(native_before - native(&w, &payer), 10_000);
    assert_eq!(w.balance(&escrow), 10_000);
    assert_eq!(native(&w, &escrow), 0);
    // CW20, for the sender himself
    w.send(
        &payer,
        &escrow,
        3_000,
        to_json_binary(&ReceiveMsg::DepositCredit { beneficiary: None }).unwrap(),
    )
    .unwrap();
    assert_eq!(credit(&w, &payer), 3_000);
    assert_eq!(cw20_before - w.balance(&payer), 3_000);
    assert_eq!(w.balance(&escrow), 13_000);
    let l = w.ledger();
    assert_eq!(
        (l.inference_credit, l.received),
        (Uint128::new(13_000), Uint128::new(13_000))
    );
    w.assert_ledger_balanced();

    // withdrawn as native coins: the escrow unwraps and forwards them
    let wrapped_before: open_token::msg::WrapInfoResponse = w
        .app
        .wrap()
        .query_wasm_smart(&token, &open_token::msg::QueryMsg::WrapInfo {})
        .unwrap();
    let res = w
        .exec(
            &alice.addr,
            &ExecuteMsg::WithdrawCredit {
                amount: Uint128::new(4_000),
            },
        )
        .unwrap();
    assert_eq!(attr(&res, "credit_left"), "6000");
    assert_eq!(native(&w, &alice.addr), 4_000);
    assert_eq!(w.balance(&alice.addr), 0);
    assert_eq!(credit(&w, &alice.addr), 6_000);
    assert_eq!(w.balance(&escrow), 9_000);
    assert_eq!(native(&w, &escrow), 0);
    let wrapped_after: open_token::msg::WrapInfoResponse = w
        .app
        .wrap()
        .query_wasm_smart(&token, &open_token::msg::QueryMsg::WrapInfo {})
        .unwrap();
    assert_eq!(
        wrapped_before.wrapped - wrapped_after.wrapped,
        Uint128::new(4_000)
    );
    assert_eq!(
        w.exec(
            &alice.addr,
            &ExecuteMsg::WithdrawCredit {
                amount: Uint128::new(6_001)
            }
        )
        .unwrap_err(),
        ContractError::InsufficientCredit {
            credit: Uint128::new(6_000),
            needed: Uint128::new(6_001)
        }
    );
    assert_eq!(
        w.exec(
            &alice.addr,
            &ExecuteMsg::WithdrawCredit {
                amount: Uint128::zero()
            }
        )
        .unwrap_err(),
        ContractError::ZeroAmount {}
    );
    w.exec(
        &alice.addr,
        &ExecuteMsg::WithdrawCredit {
            amount: Uint128::new(6_000),
        },
    )
    .unwrap();
    assert_eq!(credit(&w, &alice.addr), 0);
    assert_eq!(native(&w, &alice.addr), 10_000);
    w.assert_ledger_balanced();
    assert_eq!(w.ledger().held(), Uint128::new(3_000));
}

#[test]
fn credit_deposits_refuse_bad_funds() {
    let mut w = ready();
    let rich = addr("rich");
    w.app
        .init_modules(|router, _, storage| {
            router.bank.init_balance(
                storage,
                &rich,
                vec![coin(1_000, DENOM), coin(1_000, "uatom")],
            )
        })
        .unwrap();
    let deposit = ExecuteMsg::DepositCredit { beneficiary: None };
    for (funds, expected) in [
        (vec![], PaymentError::NoFunds {}),
        (coins(10, "uatom"), PaymentError::MissingDenom(DENOM.into())),
        (
            vec![coin(10, DENOM), coin(10, "uatom")],
            PaymentError::MultipleDenoms {},
        ),
    ] {
        assert_eq!(
            exec_funded(&mut w, &rich, &deposit, &funds).unwrap_err(),
            ContractError::Payment(expected)
        );
    }
    // the bank refuses a zero coin before the contract sees it (`must_pay` would say NoFunds)
    assert!(w
        .app
        .execute_contract(rich.clone(), w.escrow.clone(), &deposit, &coins(0, DENOM))
        .is_err());
    // native coins with anything else are still refused
    assert_eq!(
        exec_funded(
            &mut w,
            &rich,
            &ExecuteMsg::WithdrawCredit {
                amount: Uint128::new(1)
            },
            &coins(1, DENOM)
        )
        .unwrap_err(),
        ContractError::Payment(PaymentError::NonPayable {})
    );
    let escrow = w.escrow.clone();
    assert!(matches!(
        exec_funded(
            &mut w,
            &rich,
            &ExecuteMsg::DepositCredit {
                beneficiary: Some(escrow.to_string())
            },
            &coins(10, DENOM)
        )
        .unwrap_err(),
        ContractError::InvalidInput { .. }
    ));
    assert!(matches!(
        exec_funded(
            &mut w,
            &rich,
            &ExecuteMsg::DepositCredit {
                beneficiary: Some("not-an-address".into())
            },
            &coins(10, DENOM)
        )
        .unwrap_err(),
        ContractError::Std(_)
    ));
    assert_eq!(native(&w, &rich), 1_000);
    assert_eq!(credit(&w, &rich), 0);
    assert_eq!(w.ledger().inference_credit, Uint128::zero());
}

#[test]
fn a_gateway_charges_a_key_and_the_job_pays_out_like_a_cw20_one() {
    let (mut w, alice, gateway) = with_credit();
    let good = honest(&w);
    let (trainer, treasury) = (w.trainer.clone(), w.treasury.clone());
    let ops: Vec<Addr> = w.ops.iter().map(|o| o.addr.clone()).collect();

    // a CW20-paid job, for comparison
    let t0 = w.balance(&treasury);
    w.settle_with(Method::SuffixSpan, &good);
    assert_eq!(w.job(1).payment, JobPayment::default());
    assert_eq!(w.job(1).payment.funding, Funding::Cw20);
    let cw20_paid = (
        w.credited(&trainer),
        ops.iter().map(|o| w.credited(o)).collect::<Vec<_>>(),
        (w.pool(1).total, w.pool(2).total),
        w.balance(&treasury) - t0,
    );
    assert_eq!(cw20_paid.0, 1_500);
    assert_eq!(cw20_paid.1, vec![250; 4]);

    // the same job, charged to alice's credit by the gateway
    let key = alice.api_key(&grant(&w, &gateway, None));
    let msg = request_msg(&key, w.model_id, None);
    let res = w.exec(&gateway, &msg).unwrap();
    assert_eq!(attr(&res, "funding"), "credit");
    assert_eq!(attr(&res, "gateway"), gateway.to_string());
    assert_eq!(attr(&res, "payer"), alice.addr.to_string());
    assert_eq!(attr(&res, "api_key_id"), HexBinary::from(key.id()).to_hex());
    let job_id: u64 = attr(&res, "job_id").parse().unwrap();
    assert_eq!(credit(&w, &alice.addr), 20_000 - FEE);
    assert_eq!(key_spent(&w, &key), FEE);
    let response = w.job(job_id);
    let job = response.job;
    assert_eq!(job.payer, alice.addr);
    assert_eq!(response.payment.gateway, Some(gateway.clone()));
    assert_eq!(response.payment.funding, Funding::Credit);
    assert_eq!(job.fee, Uint128::new(FEE));
    let l = w.ledger();
    assert_eq!(
        (l.escrowed, l.inference_credit),
        (Uint128::new(FEE), Uint128::new(20_000 - FEE))
    );
    w.assert_ledger_balanced();

    let t1 = w.balance(&treasury);
    w.attest_all(job_id, &good);
    w.advance(6);
    w.exec(&gateway, &ExecuteMsg::Settle { job_id }).unwrap();
    assert_eq!(w.job(job_id).job.status, JobStatus::Settled);
    // every share exactly twice what one CW20 job paid
    assert_eq!(w.credited(&trainer), 2 * cw20_paid.0);
    for (o, one) in ops.iter().zip(&cw20_paid.1) {
        assert_eq!(w.credited(o), 2 * one);
    }
    assert_eq!(
        (w.pool(1).total, w.pool(2).total),
        (
            cw20_paid.2 .0 * Uint128::new(2),
            cw20_paid.2 .1 * Uint128::new(2)
        )
    );
    assert_eq!(w.balance(&treasury) - t1, cw20_paid.3);
    // alice paid with credit only; nothing came back to her
    assert_eq!(credit(&w, &alice.addr), 20_000 - FEE);
    assert_eq!((w.balance(&alice.addr), w.credited(&alice.addr)), (0, 0));
    w.assert_ledger_balanced();
    assert_eq!(w.ledger().inference_credit, Uint128::new(20_000 - FEE));
}

#[test]
fn a_key_signed_by_another_key_or_over_other_bytes_is_refused() {
    let (mut w, alice, gateway) = with_credit();
    let mallory = Account::new(8);
    let g = grant(&w, &gateway, Some(FEE));
    // alice's grant and public key, signed by mallory's key
    let mut forged = alice.api_key(&g);
    let sig_by_mallory: Signature = mallory
        .key
        .sign_prehash(&forged.sign_hash(alice.addr.as_str()).unwrap())
        .unwrap();
    forged.signature = Binary::from(sig_by_mallory.to_bytes().to_vec());
    assert_refused(
        &mut w,
        &gateway,
        &forged,
        &alice.addr,
        ContractError::ApiKey(ApiKeyError::BadSignature),
    );
    // alice's signature over a capped grant, carried with the cap removed
    let mut uncapped = alice.api_key(&g);
    uncapped.grant = Binary::from(grant(&w, &gateway, None).to_bytes().unwrap());
    assert_refused(
        &mut w,
        &gateway,
        &uncapped,
        &alice.addr,
        ContractError::ApiKey(ApiKeyError::BadSignature),
    );
    // the real key goes through
    request_with_key(&mut w, &gateway, &alice.api_key(&g), None).unwrap();
    assert_eq!(credit(&w, &alice.addr), 20_000 - FEE);
}

#[test]
fn a_key_for_another_gateway_or_chain_is_refused() {
    let (mut w, alice, gateway) = with_credit();
    let key = alice.api_key(&grant(&w, &gateway, None));
    let other = addr("other-gateway");
    assert_refused(
        &mut w,
        &other,
        &key,
        &alice.addr,
        ContractError::ApiKey(ApiKeyError::WrongGateway {
            expected: other.to_string(),
            got: gateway.to_string(),
        }),
    );
    let mut g = grant(&w, &gateway, None);
    g.chain_id = "openledger-other-1".into();
    let chain_id = w.chain_id();
    assert_refused(
        &mut w,
        &gateway,
        &alice.api_key(&g),
        &alice.addr,
        ContractError::ApiKey(ApiKeyError::WrongChain {
            expected: chain_id,
            got: "openledger-other-1".into(),
        }),
    );
}

#[test]
fn an_expired_key_is_refused() {
    let (mut w, alice, gateway) = with_credit();
    let expires = now(&w) + 50;
    let key = alice.api_key(&ApiKeyGrant::new(
        &w.chain_id(),
        gateway.as_str(),
        expires,
        None,
    ));
    w.advance(10); // +50 s: the last second it is valid
    request_with_key(&mut w, &gateway, &key, None).unwrap();
    w.advance(1);
    assert_refused(
        &mut w,
        &gateway,
        &key,
        &alice.addr,
        ContractError::ApiKey(ApiKeyError::Expired {
            expires,
            now: expires + 5,
        }),
    );
    assert_eq!(credit(&w, &alice.addr), 20_000 - FEE);
}

#[test]
fn max_spend_caps_what_one_key_ever_spends() {
    let (mut w, alice, gateway) = with_credit();
    let key = alice.api_key(&grant(&w, &gateway, Some(12_000)));
    request_with_key(&mut w, &gateway, &key, Some(1)).unwrap();
    request_with_key(&mut w, &gateway, &key, Some(1)).unwrap();
    assert_eq!(key_spent(&w, &key), 2 * FEE);
    assert_eq!(credit(&w, &alice.addr), 20_000 - 2 * FEE);
    // the third call would take the key to 15_300 > 12_000
    assert_refused(
        &mut w,
        &gateway,
        &key,
        &alice.addr,
        ContractError::KeySpendCapExceeded {
            max_spend: Uint128::new(12_000),
            spent: Uint128::new(2 * FEE),
            fee: Uint128::new(FEE),
        },
    );
    // another key of alice's has its own count
    let mut g = grant(&w, &gateway, Some(FEE));
    g.expires += 1;
    let second = alice.api_key(&g);
    assert_ne!(second.id(), key.id());
    request_with_key(&mut w, &gateway, &second, Some(1)).unwrap();
    assert_eq!(
        (key_spent(&w, &key), key_spent(&w, &second)),
        (2 * FEE, FEE)
    );
    assert_eq!(credit(&w, &alice.addr), 20_000 - 3 * FEE);
    w.assert_ledger_balanced();
}

#[test]
fn a_key_whose_account_lacks_credit_is_refused() {
    let (mut w, _, gateway) = with_credit();
    let bob = Account::new(9);
    let key = bob.api_key(&grant(&w, &gateway, None));
    assert_refused(
        &mut w,
        &gateway,
        &key,
        &bob.addr,
        ContractError::InsufficientCredit {
            credit: Uint128::zero(),
            needed: Uint128::new(FEE),
        },
    );
    let payer = w.payer.clone();
    deposit_native(&mut w, &payer, FEE - 1, &bob.addr);
    assert_refused(
        &mut w,
        &gateway,
        &key,
        &bob.addr,
        ContractError::InsufficientCredit {
            credit: Uint128::new(FEE - 1),
            needed: Uint128::new(FEE),
        },
    );
    deposit_native(&mut w, &payer, 1, &bob.addr);
    request_with_key(&mut w, &gateway, &key, None).unwrap();
    assert_eq!(credit(&w, &bob.addr), 0);
    w.assert_ledger_balanced();
}

#[test]
fn malformed_keys_are_refused() {
    let (mut w, alice, gateway) = with_credit();
    let malformed = |e: Result<u64, ContractError>| {
        assert!(
            matches!(e, Err(ContractError::ApiKey(ApiKeyError::Malformed(_)))),
            "{e:?}"
        )
    };
    let before = (job_count(&w), credit(&w, &alice.addr), w.ledger());
    // grant bytes that are no grant, properly signed
    malformed(request_with_key(
        &mut w,
        &gateway,
        &alice.sign_grant(b"{\"type\":\"openledger/api-key/v1\""),
        None,
    ));
    // another kind of grant
    let mut g = grant(&w, &gateway, None);
    g.kind = "openledger/api-key/v0".into();
    malformed(request_with_key(&mut w, &gateway, &alice.api_key(&g), None));
    // a 32-byte public key, a 65-byte signature
    let good = alice.api_key(&grant(&w, &gateway, None));
    let mut k = good.clone();
    k.pub_key = Binary::from(&good.pub_key[1..]);
    malformed(request_with_key(&mut w, &gateway, &k, None));
    let mut k = good.clone();
    k.signature = Binary::from([good.signature.as_slice(), &[0u8][..]].concat());
    malformed(request_with_key(&mut w, &gateway, &k, None));
    // 33 bytes that are no curve point: a signature that does not verify, not a panic
    let mut k = good;
    k.pub_key = Binary::from(vec![0x05; 33]);
    assert_eq!(
        request_with_key(&mut w, &gateway, &k, None),
        Err(ContractError::ApiKey(ApiKeyError::BadSignature))
    );
    assert_eq!(before, (job_count(&w), credit(&w, &alice.addr), w.ledger()));
}

#[test]
fn credit_paid_jobs_are_refunded_to_the_credit() {
    let (mut w, alice, gateway) = with_credit();
    let key = alice.api_key(&grant(&w, &gateway, None));
    let (treasury, gov) = (w.treasury.clone(), w.gov.clone());
    let ops: Vec<Addr> = w.ops.iter().map(|o| o.addr.clone()).collect();
    let good = honest(&w);
    let check = |w: &World, credit_expected: u128, spent_expected: u128| {
        assert_eq!(credit(w, &alice.addr), credit_expected);
        assert_eq!(key_spent(w, &key), spent_expected);
        // never a CW20 refund or a claimable balance
        assert_eq!((w.balance(&alice.addr), w.credited(&alice.addr)), (0, 0));
        w.assert_ledger_balanced();
    };
    let t0 = w.balance(&treasury);

    // expired: nobody revealed
    let j = request_with_key(&mut w, &gateway, &key, None).unwrap();
    check(&w, 20_000 - FEE, FEE);
    w.advance(21);
    w.exec(&gateway, &ExecuteMsg::Tally { job_id: j }).unwrap();
    assert_eq!(w.job(j).job.status, JobStatus::Expired);
    check(&w, 20_000, FEE);

    // failed: two against two
    let j = request_with_key(&mut w, &gateway, &key, None).unwrap();
    let split: Vec<AttestationResult> = (0..4)
        .map(|i| w.result(&[(1, 7_000), (2, 3_000)], if i < 2 { "a" } else { "b" }))
        .collect();
    for (o, r) in ops.iter().zip(&split) {
        w.commit(j, o, r).unwrap();
    }
    for (o, r) in ops.iter().zip(&split) {
        w.reveal(j, o, r.clone()).unwrap();
    }
    assert_eq!(w.job(j).job.status, JobStatus::Failed);
    check(&w, 20_000, 2 * FEE);
    assert_eq!(w.balance(&treasury), t0);

    // inputs unavailable: the platform fee (100) is kept, as for CW20 jobs
    let j = request_with_key(&mut w, &gateway, &key, None).unwrap();
    w.attest_all(j, &AttestationResult::inputs_unavailable());
    assert_eq!(w.job(j).job.status, JobStatus::InputsUnavailable);
    check(&w, 20_000 - 100, 3 * FEE);
    assert_eq!(w.balance(&treasury) - t0, 100);

    // no influence under the payer policy: δ (2_500) back to the credit
    let mut p = escrow_params();
    p.unattributed = Unattributed::Payer;
    w.set_params(p);
    let j = request_with_key(&mut w, &gateway, &key, None).unwrap();
    let none = w.result(&[], "no-influence");
    w.attest_all(j, &none);
    w.advance(6);
    w.exec(&gateway, &ExecuteMsg::Settle { job_id: j }).unwrap();
    check(&w, 20_000 - 100 - FEE + 2_500, 4 * FEE);

    // an upheld challenge refunds the whole fee
    let before = credit(&w, &alice.addr);
    let j = request_with_key(&mut w, &gateway, &key, None).unwrap();
    w.attest_all(j, &good);
    let (challenger, escrow) = (addr("challenger"), w.escrow.clone());
    w.send(
        &challenger,
        &escrow,
        1_000,
        to_json_binary(&ReceiveMsg::Challenge {
            job_id: j,
            reason: "wrong".into(),
        })
        .unwrap(),
    )
    .unwrap();
    w.exec(
        &gov,
        &ExecuteMsg::ResolveChallenge {
            job_id: j,
            upheld: true,
        },
    )
    .unwrap();
    assert_eq!(w.job(j).job.status, JobStatus::Failed);
    check(&w, before, 5 * FEE);
    assert_eq!(w.balance(&challenger), 10_000);

    // what is left can be withdrawn
    let left = credit(&w, &alice.addr);
    w.exec(
        &alice.addr,
        &ExecuteMsg::WithdrawCredit {
            amount: Uint128::new(left),
        },
    )
    .unwrap();
    assert_eq!(native(&w, &alice.addr), left);
    check(&w, 0, 5 * FEE);
}

#[test]
fn a_gateway_must_be_bonded_and_in_good_standing_to_charge_credit() {
    let mut w = ready();
    let alice = Account::new(7);
    let payer = w.payer.clone();
    deposit_native(&mut w, &payer, 20_000, &alice.addr);
    let gateway = addr("gateway");
    let key = alice.api_key(&grant(&w, &gateway, None));
    let refused = |_why: &str| ContractError::GatewayNotBonded {
        gateway: gateway.to_string(),
    };
    // not registered at all
    assert_refused(
        &mut w,
        &gateway,
        &key,
        &alice.addr,
        refused("it is not registered in the attester registry"),
    );
    // registered, bonded below min_bond (1_000)
    w.bond_gateway(&gateway, 999);
    assert_refused(
        &mut w,
        &gateway,
        &key,
        &alice.addr,
        refused("its bond of 999 is below the registry's min_bond"),
    );
    // topped up: it may charge
    w.bond(&gateway, 1);
    request_with_key(&mut w, &gateway, &key, None).unwrap();
    w.assert_ledger_balanced();
}

#[test]
fn rejected_inference_refunds_the_payer_in_full_and_slashes_the_gateway() {
    let (mut w, alice, gateway) = with_credit();
    let (treasury, trainer) = (w.treasury.clone(), w.trainer.clone());
    let key = alice.api_key(&grant(&w, &gateway, None));
    let token_count = AttestationResult::rejected(Rejection::TokenCount);
    let output = AttestationResult::rejected(Rejection::Output);
    assert_eq!(token_count.rejection(), Some(Rejection::TokenCount));
    assert_ne!(token_count, output);
    let j1 = request_with_key(&mut w, &gateway, &key, None).unwrap();
    let j2 = request_with_key(&mut w, &gateway, &key, None).unwrap();
    assert_eq!(credit(&w, &alice.addr), 20_000 - 2 * FEE);
    // the gateway's bond answers for both answers until they are tallied
    assert_eq!(w.obligations(&gateway), vec![j1, j2]);
    let t0 = w.balance(&treasury);

    // job 1: every attester finds the token counts wrong
    let res = {
        let assigned = w.assigned(j1);
        for a in &assigned {
            w.commit(j1, a, &token_count).unwrap();
        }
        let mut last = None;
        for a in &assigned {
            last = Some(w.reveal(j1, a, token_count.clone()).unwrap());
        }
        last.unwrap()
    };
    assert_eq!(attr(&res, "status"), "rejected");
    assert_eq!(attr(&res, "rejection"), "token_count");
    assert_eq!(attr(&res, "gateway_slashed"), gateway.to_string());
    let job = w.job(j1);
    assert_eq!(job.job.status, JobStatus::Rejected);
    assert!(job
        .assignments
        .iter()
        .all(|a| a.status == AssignmentStatus::InQuorum));
    // the whole fee is back in alice's credit (the key's spend stays: it caps a leaked key)
    assert_eq!(credit(&w, &alice.addr), 20_000 - FEE);
    assert_eq!(key_spent(&w, &key), 2 * FEE);
    // the gateway lost 10 % of its bond to the registry's slash recipient and is jailed
    let g = w.attester_info(&gateway);
    assert_eq!(
        (g.bonded, g.slashed_total),
        (Uint128::new(900), Uint128::new(100))
    );
    let att::AttesterStatus::Jailed { until } = g.status else {
        panic!("gateway not jailed: {:?}", g.status)
    };
    assert_eq!(until, now(&w) + escrow_params().jail_seconds);
    assert_eq!(w.obligations(&gateway), vec![j2]);
    // nothing was paid for the answer (no platform fee, model owner or attester share): the
    // treasury only received the slashed bond, as the registry's slash recipient
    assert_eq!(w.balance(&treasury) - t0, 100);
    assert_eq!(w.credited(&trainer), 0);
    for o in &w.ops {
        assert_eq!(w.credited(&o.addr), 0);
        assert_eq!(w.attester_info(&o.addr).slashed_total, Uint128::zero());
    }
    assert_eq!(
        w.exec(&gateway, &ExecuteMsg::Settle { job_id: j1 })
            .unwrap_err(),
        ContractError::WrongStatus {}
    );
    // a jailed gateway charges nobody
    assert_refused(
        &mut w,
        &gateway,
        &key,
        &alice.addr,
        ContractError::GatewayNotBonded {
            gateway: gateway.to_string(),
        },
    );

    // job 2: three find the answer is not the model's, one measured an attribution: the
    // rejection is decided and the odd one out deviates
    let assigned = w.assigned(j2);
    let good = honest(&w);
    let results = [&output, &output, &output, &good];
    for (a, r) in assigned.iter().zip(results) {
        w.commit(j2, a, r).unwrap();
    }
    for (a, r) in assigned.iter().zip(results) {
        w.reveal(j2, a, r.clone()).unwrap();
    }
    let job = w.job(j2);
    assert_eq!(job.job.status, JobStatus::Rejected);
    assert_eq!(job.job.result, Some(output.clone()));
    let deviated: Vec<&Addr> = job
        .assignments
        .iter()
        .filter(|a| a.status == AssignmentStatus::Deviated)
        .map(|a| &a.attester)
        .collect();
    assert_eq!(deviated, vec![&assigned[3]]);
    assert_eq!(credit(&w, &alice.addr), 20_000);
    assert_eq!(w.attester_info(&gateway).slashed_total, Uint128::new(190));
    assert!(w.obligations(&gateway).is_empty());
    w.assert_ledger_balanced();
    // all the escrow holds is alice's credit, whole again
    assert_eq!(w.ledger().held(), Uint128::new(20_000));
}

#[test]
fn a_payer_s_own_rejected_job_keeps_the_platform_fee_and_slashes_nobody() {
    let mut w = ready();
    let (payer, treasury) = (w.payer.clone(), w.treasury.clone());
    let (p0, t0) = (w.balance(&payer), w.balance(&treasury));
    let j = w.request_job(Method::SuffixSpan, None, None).unwrap();
    w.attest_all(j, &AttestationResult::rejected(Rejection::TokenCount));
    assert_eq!(w.job(j).job.status, JobStatus::Rejected);
    // it costs the payer who declared the counts himself the platform fee (100), no more
    assert_eq!(p0 - w.balance(&payer), 100);
    assert_eq!(w.balance(&treasury) - t0, 100);
    for o in &w.ops {
        assert_eq!(w.attester_info(&o.addr).slashed_total, Uint128::zero());
    }
    w.assert_ledger_balanced();
}

#[test]
fn a_gateway_that_also_attests_never_checks_its_own_answers() {
    let (mut w, alice, _) = with_credit();
    // attester1 opens answers as a gateway too
    let gateway = w.ops[0].addr.clone();
    let key = alice.api_key(&grant(&w, &gateway, None));
    // only three others can be asked
    assert_refused(
        &mut w,
        &gateway,
        &key,
        &alice.addr,
        ContractError::NotEnoughAttesters {
            needed: 4,
            available: 3,
        },
    );
    for _ in 0..3 {
        let j = request_with_key(&mut w, &gateway, &key, Some(3)).unwrap();
        let assigned = w.assigned(j);
        assert_eq!(assigned.len(), 3);
        assert!(!assigned.contains(&gateway), "job {j}: {assigned:?}");
    }
}

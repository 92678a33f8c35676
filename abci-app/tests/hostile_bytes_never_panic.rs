//! Network input never panics the node and never changes state unless it is a valid tx:
//! random bytes and real txs with mutated bytes go through CheckTx and FinalizeBlock.

mod support;

use openledger_node::store::Storage;
use proptest::prelude::*;
use support::{Driver, Fixture};

fn fresh(fx: &Fixture) -> Driver {
    let mut d = Driver::new(Storage::in_memory().unwrap());
    d.init_chain(&fx.app_state());
    d.block(&[]);
    d
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn random_bytes_are_refused_without_state_change(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let fx = Fixture::load();
        let mut d = fresh(&fx);
        let before = d.state_digest();
        prop_assert_ne!(d.check(&bytes, false).code.value(), 0);
        let res = d.block(&[bytes]);
        prop_assert_ne!(res.tx_results[0].code.value(), 0);
        prop_assert_eq!(d.state_digest(), before);
    }

    #[test]
    fn mutated_real_txs_never_panic_and_fail_cleanly(
        which in 0usize..6,
        position in any::<prop::sample::Index>(),
        xor in 1u8..=255,
    ) {
        let fx = Fixture::load();
        let names = ["alice_send_seq0", "alice_amino_send_seq2", "alice_multisend_seq3", "bob_send_seq0", "dave_insufficient_funds", "bob_memo_too_long"];
        let mut tx = fx.tx(names[which]);
        let i = position.index(tx.len());
        tx[i] ^= xor;
        let mut d = fresh(&fx);
        let before = d.state_digest();
        let check = d.check(&tx, false);
        let res = d.block(&[tx]);
        let code = res.tx_results[0].code.value();
        // Every signed byte is covered by the signature or must be canonical protobuf: a
        // changed byte must never give a valid (malleated) tx.
        prop_assert_ne!(check.code.value(), 0, "mutated tx passed CheckTx");
        prop_assert_ne!(code, 0, "mutated tx executed: byte {} of {}", i, names[which]);
        if code != 5 {
            prop_assert_eq!(d.state_digest(), before, "code {} changed state: {}", code, res.tx_results[0].log);
        }
    }
}

/// Bytes outside the signature (an unknown TxRaw field; an unknown body field under amino
/// signing, which signs JSON rather than body bytes) must not yield a second valid encoding
/// of the same tx with a different hash.
#[test]
fn unsigned_extra_fields_do_not_make_a_malleated_twin() {
    use cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw;
    use prost::Message;
    let fx = Fixture::load();
    let unknown_field = [0xf8, 0x06, 0x01]; // field 111, varint 1

    let mut direct = fx.tx("alice_send_seq0");
    direct.extend_from_slice(&unknown_field);
    let mut amino = TxRaw::decode(fx.tx("alice_amino_send_seq2").as_slice()).unwrap();
    amino.body_bytes.extend_from_slice(&unknown_field);
    let amino = amino.encode_to_vec();

    for (name, tx) in [("direct TxRaw", direct), ("amino body", amino)] {
        let mut d = fresh(&fx);
        let check = d.check(&tx, false);
        assert_eq!(check.code.value(), 2, "{name}: {}", check.log);
    }
}

/// SIGN_MODE_LEGACY_AMINO_JSON signs neither the auth info's tip nor the signer's public key:
/// a twin of Keplr's tx that adds a tip or drops the key (another hash, the same signature) is
/// refused, so a third party cannot land it first and make the user's own tx fail.
#[test]
fn amino_twins_with_a_tip_or_without_the_pubkey_are_refused() {
    use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, Tip, TxRaw};
    use prost::Message;
    let fx = Fixture::load();
    let twin = |change: &dyn Fn(&mut AuthInfo)| {
        let mut raw = TxRaw::decode(fx.tx("alice_amino_send_seq2").as_slice()).unwrap();
        let mut auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
        change(&mut auth);
        raw.auth_info_bytes = auth.encode_to_vec();
        raw.encode_to_vec()
    };
    let with_tip = twin(&|a| {
        a.tip = Some(Tip {
            amount: vec![],
            tipper: String::new(),
        })
    });
    let without_key = twin(&|a| a.signer_infos[0].public_key = None);
    for (what, tx, code, text) in [
        ("a tip", with_tip, 18, "tips are not supported"),
        ("no public key", without_key, 8, "must carry its public key"),
    ] {
        let mut d = fresh(&fx);
        // alice's first two txs set her sequence to 2 and her public key on chain.
        for name in ["alice_send_seq0", "alice_send_seq1"] {
            assert_eq!(d.block(&[fx.tx(name)]).tx_results[0].code.value(), 0);
        }
        let before = d.state_digest();
        let check = d.check(&tx, false);
        assert_eq!(check.code.value(), code, "{what}: {}", check.log);
        assert!(check.log.contains(text), "{what}: {}", check.log);
        let res = d.block(&[tx]);
        assert_eq!(res.tx_results[0].code.value(), code, "{what}");
        assert_eq!(d.state_digest(), before, "{what} changed nothing");
        // The tx Keplr signed still goes through.
        let r = d.block(&[fx.tx("alice_amino_send_seq2")]);
        assert_eq!(r.tx_results[0].code.value(), 0, "{}", r.tx_results[0].log);
    }
}

//! `SIGN_MODE_LEGACY_AMINO_JSON` sign bytes (cosmjs `serializeSignDoc`): keys sorted
//! recursively, no whitespace, and `&`, `<`, `>` escaped as `\u0026`, `\u003c`, `\u003e`.

use cosmos_sdk_proto::cosmos::tx::v1beta1::Fee;
use serde_json::{json, Value};

use super::msgs::{coins_json, Msg};

pub struct AminoSignDoc<'a> {
    pub chain_id: &'a str,
    pub account_number: u64,
    pub sequence: u64,
    pub fee: &'a Fee,
    pub msgs: &'a [Msg],
    pub memo: &'a str,
    pub timeout_height: u64,
}

impl AminoSignDoc<'_> {
    pub fn sign_bytes(&self) -> Vec<u8> {
        let mut fee = serde_json::Map::new();
        fee.insert("amount".into(), coins_json(&self.fee.amount));
        fee.insert("gas".into(), Value::String(self.fee.gas_limit.to_string()));
        if !self.fee.payer.is_empty() {
            fee.insert("payer".into(), Value::String(self.fee.payer.clone()));
        }
        if !self.fee.granter.is_empty() {
            fee.insert("granter".into(), Value::String(self.fee.granter.clone()));
        }
        let mut doc = json!({
            "account_number": self.account_number.to_string(),
            "chain_id": self.chain_id,
            "fee": Value::Object(fee),
            "memo": self.memo,
            "msgs": self.msgs.iter().map(Msg::amino_json).collect::<Vec<_>>(),
            "sequence": self.sequence.to_string(),
        });
        if self.timeout_height != 0 {
            if let Value::Object(map) = &mut doc {
                map.insert(
                    "timeout_height".into(),
                    Value::String(self.timeout_height.to_string()),
                );
            }
        }
        // serde_json's map is ordered by key, so nested keys come out sorted.
        let text = doc.to_string();
        text.replace('&', "\\u0026")
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
    use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;

    #[test]
    fn sorted_compact_and_escaped() {
        let fee = Fee {
            amount: vec![Coin {
                denom: "uopen".into(),
                amount: "5000".into(),
            }],
            gas_limit: 200000,
            payer: String::new(),
            granter: String::new(),
        };
        let msgs = [Msg::BankSend(MsgSend {
            from_address: "open1a".into(),
            to_address: "open1b".into(),
            amount: vec![Coin {
                denom: "uopen".into(),
                amount: "1".into(),
            }],
        })];
        let doc = AminoSignDoc {
            chain_id: "c",
            account_number: 3,
            sequence: 4,
            fee: &fee,
            msgs: &msgs,
            memo: "a & <b>",
            timeout_height: 0,
        };
        assert_eq!(
            String::from_utf8(doc.sign_bytes()).unwrap(),
            r#"{"account_number":"3","chain_id":"c","fee":{"amount":[{"amount":"5000","denom":"uopen"}],"gas":"200000"},"memo":"a \u0026 \u003cb\u003e","msgs":[{"type":"cosmos-sdk/MsgSend","value":{"amount":[{"amount":"1","denom":"uopen"}],"from_address":"open1a","to_address":"open1b"}}],"sequence":"4"}"#
        );
    }
}

//! ICS-20 fungible token transfer on the `transfer` port, over the bank: native coins are
//! escrowed at ibc-go's per-channel escrow address (ADR-028) and released on the way back;
//! foreign coins arrive as `ibc/<SHA256(trace/base)>` vouchers, minted here and burnt when sent
//! home. Denom traces are kept so that clients (Keplr, the REST `denom_traces` route) can show
//! where a voucher comes from.

use ibc::apps::transfer::context::{TokenTransferExecutionContext, TokenTransferValidationContext};
use ibc::apps::transfer::module as ics20;
use ibc::apps::transfer::types::error::TokenTransferError;
use ibc::apps::transfer::types::{Memo, PrefixedCoin, PrefixedDenom, PORT_ID_STR};
use ibc::core::channel::types::acknowledgement::Acknowledgement;
use ibc::core::channel::types::channel::{Counterparty, Order};
use ibc::core::channel::types::error::ChannelError;
use ibc::core::channel::types::packet::Packet;
use ibc::core::channel::types::Version;
use ibc::core::host::types::error::HostError;
use ibc::core::host::types::identifiers::{ChannelId, ConnectionId, PortId};
use ibc::core::router::module::Module;
use ibc::core::router::types::module::ModuleExtras;
use ibc::cosmos_host::utils::cosmos_adr028_escrow_address;
use ibc::primitives::Signer;
use ibc_proto::ibc::applications::transfer::v1::DenomTrace;
use prost::Message;
use sha2::{Digest, Sha256};
use tendermint::abci::Event;

use super::context::IbcStore;
use crate::app::coins::Coins;
use crate::app::context::{KvRead, KvWrite};
use crate::app::error::TxError;
use crate::crypto;
use crate::modules::bank::state::{BankRead, BankWrite};

/// Main-tree prefix of denom traces, by the uppercase hex hash in the voucher denom.
pub const DENOM_TRACE_PREFIX: &[u8] = b"transfer/trace/";

pub fn denom_trace_key(hash: &str) -> Vec<u8> {
    [DENOM_TRACE_PREFIX, hash.as_bytes()].concat()
}

/// The uppercase hex SHA-256 of a full denom path (`transfer/channel-0/uopen`).
pub fn denom_hash(full_path: &str) -> String {
    hex::encode_upper(Sha256::digest(full_path.as_bytes()))
}

/// The bank denom of a (possibly prefixed) ICS-20 denom: the base denom when it is native,
/// `ibc/<hash>` otherwise.
pub fn local_denom(denom: &PrefixedDenom) -> String {
    if denom.trace_path.is_empty() {
        denom.base_denom.to_string()
    } else {
        format!("ibc/{}", denom_hash(&denom.to_string()))
    }
}

/// The full trace (`transfer/channel-0/uopen`) of a voucher named `ibc/<hash>` in a
/// `MsgTransfer`, as ibc-go resolves it before building the packet; other denoms are returned
/// unchanged. An unknown hash is refused.
pub fn resolve_voucher<K: KvRead>(
    state: &mut K,
    denom: &PrefixedDenom,
) -> Result<PrefixedDenom, TxError> {
    let name = denom.to_string();
    let Some(hash) = name.strip_prefix("ibc/") else {
        return Ok(denom.clone());
    };
    let bytes = state
        .read(&denom_trace_key(&hash.to_uppercase()))?
        .ok_or_else(|| {
            TxError::InvalidCoins(format!("{name}: no denomination trace for this voucher"))
        })?;
    let trace = DenomTrace::decode(bytes.as_slice())
        .map_err(|e| TxError::InvalidRequest(format!("stored denom trace of {name}: {e}")))?;
    format!("{}/{}", trace.path, trace.base_denom)
        .parse()
        .map_err(|e| TxError::InvalidRequest(format!("stored denom trace of {name}: {e}")))
}

/// ibc-go's escrow account of a channel end.
pub fn escrow_address(port_id: &PortId, channel_id: &ChannelId) -> Vec<u8> {
    cosmos_adr028_escrow_address(port_id, channel_id)
}

/// The `transfer` port's module. Bank events of its callbacks are collected for the tx.
pub struct TransferModule<K> {
    store: IbcStore<K>,
    pub bank_events: Vec<Event>,
}

impl<K> std::fmt::Debug for TransferModule<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransferModule").finish_non_exhaustive()
    }
}

impl<K: KvRead> TransferModule<K> {
    pub fn new(store: IbcStore<K>) -> Self {
        Self {
            store,
            bank_events: Vec::new(),
        }
    }

    fn tx<T>(&self, result: Result<T, TxError>) -> Result<T, HostError> {
        result.map_err(|e| match e {
            // Not enough funds is the sender's problem, not a broken state: keep its text.
            TxError::InsufficientFunds(_) | TxError::InvalidCoins(_) => {
                HostError::invalid_state(e.to_string())
            }
            e => self.store.fault.record(e),
        })
    }

    fn coins(coin: &PrefixedCoin) -> Result<Coins, HostError> {
        let amount: u128 = coin.amount.to_string().parse().map_err(|_| {
            HostError::invalid_state(format!("amount {} does not fit 128 bits", coin.amount))
        })?;
        Ok(Coins::single(&local_denom(&coin.denom), amount))
    }

    fn has(&self, account: &[u8], coin: &PrefixedCoin) -> Result<(), HostError> {
        let coins = Self::coins(coin)?;
        for (denom, amount) in coins.iter() {
            let have = self.tx(self.store.state.borrow_mut().balance(account, denom))?;
            if have < *amount {
                return Err(HostError::invalid_state(format!(
                    "{}: spendable balance {have}{denom} is smaller than {amount}{denom}",
                    crypto::account_to_bech32(account)
                )));
            }
        }
        Ok(())
    }
}

impl<K: KvRead> TokenTransferValidationContext for TransferModule<K> {
    type AccountId = Vec<u8>;

    fn sender_account(&self, sender: &Signer) -> Result<Vec<u8>, HostError> {
        crypto::account_from_bech32(sender.as_ref())
            .map_err(|e| HostError::invalid_state(format!("sender {sender}: {e}")))
    }

    fn receiver_account(&self, receiver: &Signer) -> Result<Vec<u8>, HostError> {
        crypto::account_from_bech32(receiver.as_ref())
            .map_err(|e| HostError::invalid_state(format!("receiver {receiver}: {e}")))
    }

    fn get_port(&self) -> Result<PortId, HostError> {
        Ok(PortId::transfer())
    }

    fn can_send_coins(&self) -> Result<(), HostError> {
        Ok(())
    }

    fn can_receive_coins(&self) -> Result<(), HostError> {
        Ok(())
    }

    fn escrow_coins_validate(
        &self,
        from: &Vec<u8>,
        _port_id: &PortId,
        _channel_id: &ChannelId,
        coin: &PrefixedCoin,
        _memo: &Memo,
    ) -> Result<(), HostError> {
        self.has(from, coin)
    }

    fn unescrow_coins_validate(
        &self,
        _to: &Vec<u8>,
        port_id: &PortId,
        channel_id: &ChannelId,
        coin: &PrefixedCoin,
    ) -> Result<(), HostError> {
        self.has(&escrow_address(port_id, channel_id), coin)
    }

    fn mint_coins_validate(
        &self,
        _account: &Vec<u8>,
        coin: &PrefixedCoin,
    ) -> Result<(), HostError> {
        Self::coins(coin).map(|_| ())
    }

    fn burn_coins_validate(
        &self,
        account: &Vec<u8>,
        coin: &PrefixedCoin,
        _memo: &Memo,
    ) -> Result<(), HostError> {
        self.has(account, coin)
    }

    fn denom_hash_string(&self, denom: &PrefixedDenom) -> Option<String> {
        (!denom.trace_path.is_empty()).then(|| denom_hash(&denom.to_string()))
    }
}

impl<K: KvWrite> TransferModule<K> {
    fn send(&mut self, from: &[u8], to: &[u8], coin: &PrefixedCoin) -> Result<(), HostError> {
        let coins = Self::coins(coin)?;
        let events = self.tx(self.store.state.borrow_mut().send_coins(from, to, &coins))?;
        self.bank_events.extend(events);
        Ok(())
    }
}

impl<K: KvWrite> TokenTransferExecutionContext for TransferModule<K> {
    fn escrow_coins_execute(
        &mut self,
        from: &Vec<u8>,
        port_id: &PortId,
        channel_id: &ChannelId,
        coin: &PrefixedCoin,
        _memo: &Memo,
    ) -> Result<(), HostError> {
        self.send(from, &escrow_address(port_id, channel_id), coin)
    }

    fn unescrow_coins_execute(
        &mut self,
        to: &Vec<u8>,
        port_id: &PortId,
        channel_id: &ChannelId,
        coin: &PrefixedCoin,
    ) -> Result<(), HostError> {
        self.send(&escrow_address(port_id, channel_id), to, coin)
    }

    fn mint_coins_execute(
        &mut self,
        account: &Vec<u8>,
        coin: &PrefixedCoin,
    ) -> Result<(), HostError> {
        let coins = Self::coins(coin)?;
        if !coin.denom.trace_path.is_empty() {
            let trace = DenomTrace {
                path: coin.denom.trace_path.to_string(),
                base_denom: coin.denom.base_denom.to_string(),
            };
            let key = denom_trace_key(&denom_hash(&coin.denom.to_string()));
            self.tx(self
                .store
                .state
                .borrow_mut()
                .write(key, trace.encode_to_vec()))?;
        }
        self.tx(self.store.state.borrow_mut().mint(account, &coins))?;
        let receiver = crypto::account_to_bech32(account);
        self.bank_events.push(crate::app::events::event(
            "coinbase",
            &[("minter", &receiver), ("amount", &coins.to_string())],
        ));
        Ok(())
    }

    fn burn_coins_execute(
        &mut self,
        account: &Vec<u8>,
        coin: &PrefixedCoin,
        _memo: &Memo,
    ) -> Result<(), HostError> {
        let coins = Self::coins(coin)?;
        let mut state = self.store.state.borrow_mut();
        let result = state.burn(account, &coins);
        drop(state);
        self.tx(result)?;
        self.bank_events.push(crate::app::events::event(
            "burn",
            &[
                ("burner", &crypto::account_to_bech32(account)),
                ("amount", &coins.to_string()),
            ],
        ));
        Ok(())
    }
}

fn app_error(e: TokenTransferError) -> ChannelError {
    ChannelError::AppSpecific {
        description: e.to_string(),
    }
}

impl<K: KvWrite> Module for TransferModule<K> {
    fn on_chan_open_init_validate(
        &self,
        order: Order,
        connection_hops: &[ConnectionId],
        port_id: &PortId,
        channel_id: &ChannelId,
        counterparty: &Counterparty,
        version: &Version,
    ) -> Result<Version, ChannelError> {
        ics20::on_chan_open_init_validate(
            self,
            order,
            connection_hops,
            port_id,
            channel_id,
            counterparty,
            version,
        )
        .map_err(app_error)?;
        Ok(Version::new(
            ibc::apps::transfer::types::VERSION.to_string(),
        ))
    }

    fn on_chan_open_init_execute(
        &mut self,
        order: Order,
        connection_hops: &[ConnectionId],
        port_id: &PortId,
        channel_id: &ChannelId,
        counterparty: &Counterparty,
        version: &Version,
    ) -> Result<(ModuleExtras, Version), ChannelError> {
        ics20::on_chan_open_init_execute(
            self,
            order,
            connection_hops,
            port_id,
            channel_id,
            counterparty,
            version,
        )
        .map_err(app_error)
    }

    fn on_chan_open_try_validate(
        &self,
        order: Order,
        connection_hops: &[ConnectionId],
        port_id: &PortId,
        channel_id: &ChannelId,
        counterparty: &Counterparty,
        counterparty_version: &Version,
    ) -> Result<Version, ChannelError> {
        ics20::on_chan_open_try_validate(
            self,
            order,
            connection_hops,
            port_id,
            channel_id,
            counterparty,
            counterparty_version,
        )
        .map_err(app_error)?;
        Ok(Version::new(
            ibc::apps::transfer::types::VERSION.to_string(),
        ))
    }

    fn on_chan_open_try_execute(
        &mut self,
        order: Order,
        connection_hops: &[ConnectionId],
        port_id: &PortId,
        channel_id: &ChannelId,
        counterparty: &Counterparty,
        counterparty_version: &Version,
    ) -> Result<(ModuleExtras, Version), ChannelError> {
        ics20::on_chan_open_try_execute(
            self,
            order,
            connection_hops,
            port_id,
            channel_id,
            counterparty,
            counterparty_version,
        )
        .map_err(app_error)
    }

    fn on_chan_open_ack_validate(
        &self,
        port_id: &PortId,
        channel_id: &ChannelId,
        counterparty_version: &Version,
    ) -> Result<(), ChannelError> {
        ics20::on_chan_open_ack_validate(self, port_id, channel_id, counterparty_version)
            .map_err(app_error)
    }

    fn on_chan_open_ack_execute(
        &mut self,
        port_id: &PortId,
        channel_id: &ChannelId,
        counterparty_version: &Version,
    ) -> Result<ModuleExtras, ChannelError> {
        ics20::on_chan_open_ack_execute(self, port_id, channel_id, counterparty_version)
            .map_err(app_error)
    }

    fn on_chan_open_confirm_validate(
        &self,
        port_id: &PortId,
        channel_id: &ChannelId,
    ) -> Result<(), ChannelError> {
        ics20::on_chan_open_confirm_validate(self, port_id, channel_id).map_err(app_error)
    }

    fn on_chan_open_confirm_execute(
        &mut self,
        port_id: &PortId,
        channel_id: &ChannelId,
    ) -> Result<ModuleExtras, ChannelError> {
        ics20::on_chan_open_confirm_execute(self, port_id, channel_id).map_err(app_error)
    }

    fn on_chan_close_init_validate(
        &self,
        port_id: &PortId,
        channel_id: &ChannelId,
    ) -> Result<(), ChannelError> {
        ics20::on_chan_close_init_validate(self, port_id, channel_id).map_err(app_error)
    }

    fn on_chan_close_init_execute(
        &mut self,
        port_id: &PortId,
        channel_id: &ChannelId,
    ) -> Result<ModuleExtras, ChannelError> {
        ics20::on_chan_close_init_execute(self, port_id, channel_id).map_err(app_error)
    }

    fn on_chan_close_confirm_validate(
        &self,
        port_id: &PortId,
        channel_id: &ChannelId,
    ) -> Result<(), ChannelError> {
        ics20::on_chan_close_confirm_validate(self, port_id, channel_id).map_err(app_error)
    }

    fn on_chan_close_confirm_execute(
        &mut self,
        port_id: &PortId,
        channel_id: &ChannelId,
    ) -> Result<ModuleExtras, ChannelError> {
        ics20::on_chan_close_confirm_execute(self, port_id, channel_id).map_err(app_error)
    }

    fn on_recv_packet_execute(
        &mut self,
        packet: &Packet,
        _relayer: &Signer,
    ) -> (ModuleExtras, Option<Acknowledgement>) {
        let (extras, ack) = ics20::on_recv_packet_execute(self, packet);
        (extras, Some(ack))
    }

    fn on_acknowledgement_packet_validate(
        &self,
        packet: &Packet,
        acknowledgement: &Acknowledgement,
        relayer: &Signer,
    ) -> Result<(), ChannelError> {
        ics20::on_acknowledgement_packet_validate(self, packet, acknowledgement, relayer)
            .map_err(app_error)
    }

    fn on_acknowledgement_packet_execute(
        &mut self,
        packet: &Packet,
        acknowledgement: &Acknowledgement,
        relayer: &Signer,
    ) -> (ModuleExtras, Result<(), ChannelError>) {
        let (extras, result) =
            ics20::on_acknowledgement_packet_execute(self, packet, acknowledgement, relayer);
        (extras, result.map_err(app_error))
    }

    fn on_timeout_packet_validate(
        &self,
        packet: &Packet,
        relayer: &Signer,
    ) -> Result<(), ChannelError> {
        ics20::on_timeout_packet_validate(self, packet, relayer).map_err(app_error)
    }

    fn on_timeout_packet_execute(
        &mut self,
        packet: &Packet,
        relayer: &Signer,
    ) -> (ModuleExtras, Result<(), ChannelError>) {
        let (extras, result) = ics20::on_timeout_packet_execute(self, packet, relayer);
        (extras, result.map_err(app_error))
    }
}

/// The port this module binds.
pub fn port_id() -> PortId {
    PortId::new(PORT_ID_STR.to_string()).expect("`transfer` is a valid port id")
}

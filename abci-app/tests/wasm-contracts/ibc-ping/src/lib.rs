//! An IBC ping/pong contract for the node's IBC tests. Channel version `openledger-ping-1`,
//! unordered channels only.
//!
//! - `instantiate {}`.
//! - `execute {"ping":{"channel":"channel-N","text":".."}}` sends the packet `{"ping":"<text>"}` on
//!   that channel, timing out 600 s after the block time (attribute `action=ping`).
//! - `execute {"transfer":{"channel":"channel-N","to_address":".."}}` forwards the one attached
//!   coin over that ICS-20 channel (`IbcMsg::Transfer`, same timeout).
//! - `execute {"close":{"channel":"channel-N"}}` closes that channel (`IbcMsg::CloseChannel`; the
//!   chain calls `ibc_channel_close` with `CloseInit` back, which marks it closed).
//! - `ibc_channel_open` refuses anything but an unordered channel whose version (and, on OpenTry,
//!   counterparty version) is `openledger-ping-1`, and answers that version.
//! - `ibc_channel_connect` records the channel (open); `ibc_channel_close` marks it closed.
//! - `ibc_packet_receive` stores the ping's text, counts it and acks `{"pong":"<text>"}`; a
//!   malformed packet gets the error ack `{"error":".."}` (the call itself succeeds). A ping whose
//!   text starts with `later:` is answered without an acknowledgement and kept in `pending`, until
//!   `execute {"pong":{"channel":"channel-N","sequence":S}}` writes its `{"pong":..}` with
//!   `IbcMsg::WriteAcknowledgement` (async acks).
//! - `ibc_packet_ack` records `{ping: <original text>, ack: <ack JSON>}` in `acks`;
//!   `ibc_packet_timeout` records the original text in `timeouts`.
//! - `query {"state":{}}` returns everything (see [`StateResponse`]); `query {"ibc":{}}` asks the
//!   chain (`IbcQuery::PortId`, `IbcQuery::ListChannels`) for the contract's port and its open
//!   channels: `{"port":"wasm.<address>","open_channels":["channel-N",..]}`.
//!
//! State is one JSON document under the storage key `state`; acks are stored as plain structs and
//! turned into their JSON shape only when queried (serialize-only `AckValue`).
use cosmwasm_std::{
    entry_point, from_json, to_json_binary, Binary, Deps, DepsMut, Empty, Env,
    Ibc3ChannelOpenResponse, IbcAcknowledgement, IbcBasicResponse, IbcChannel, IbcChannelCloseMsg,
    IbcChannelConnectMsg, IbcChannelOpenMsg, IbcChannelOpenResponse, IbcMsg, IbcOrder,
    IbcPacketAckMsg, IbcPacketReceiveMsg, IbcPacketTimeoutMsg, IbcQuery, IbcReceiveResponse,
    IbcTimeout, ListChannelsResponse, MessageInfo, PortIdResponse, Response, StdError, StdResult,
    Storage,
};
use serde::{Deserialize, Serialize};

/// The channel version this contract speaks.
pub const VERSION: &str = "openledger-ping-1";
/// Packet timeout, seconds after the sending block's time.
pub const TIMEOUT_SECS: u64 = 600;
const STATE_KEY: &[u8] = b"state";

#[derive(Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecuteMsg {
    Ping {
        channel: String,
        text: String,
    },
    /// Forward the attached coins over an ICS-20 `transfer` channel (`IbcMsg::Transfer`).
    Transfer {
        channel: String,
        to_address: String,
    },
    /// Close one of this contract's channels (`IbcMsg::CloseChannel`).
    Close {
        channel: String,
    },
    /// Acknowledge a pending `later:` ping (`IbcMsg::WriteAcknowledgement`).
    Pong {
        channel: String,
        sequence: u64,
    },
}

/// Pings with this text prefix are acknowledged later, by `ExecuteMsg::Pong`.
pub const LATER_PREFIX: &str = "later:";

/// A received ping that has no acknowledgement yet.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PendingPing {
    pub channel_id: String,
    pub sequence: u64,
    pub ping: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryMsg {
    State {},
    Ibc {},
}

/// Answer to `{"ibc":{}}`, from the chain's IBC queries.
#[derive(Serialize)]
pub struct IbcResponse {
    pub port: String,
    pub open_channels: Vec<String>,
}

/// Packet data: `{"ping":"<text>"}`.
#[derive(Serialize, Deserialize)]
pub struct PingPacket {
    pub ping: String,
}

/// Success ack: `{"pong":"<text>"}`.
#[derive(Serialize)]
pub struct PongAck {
    pub pong: String,
}

/// Error ack: `{"error":"<message>"}`.
#[derive(Serialize)]
pub struct ErrorAck {
    pub error: String,
}

/// One channel this contract has connected (`open` turns false on close).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ChannelInfo {
    pub channel_id: String,
    pub port_id: String,
    pub counterparty_port_id: String,
    pub counterparty_channel_id: String,
    pub connection_id: String,
    pub open: bool,
}

/// How an ack is kept in storage: the fields of `{"pong":..}` / `{"error":..}`, or the raw
/// (lossy UTF-8) bytes when the ack is neither.
#[derive(Serialize, Deserialize, Default)]
struct StoredAck {
    ping: String,
    #[serde(default)]
    pong: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    raw: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
struct State {
    channels: Vec<ChannelInfo>,
    last_received: Option<String>,
    received: u64,
    acks: Vec<StoredAck>,
    timeouts: Vec<String>,
    #[serde(default)]
    pending: Vec<PendingPing>,
}

/// Answer to `{"state":{}}`:
/// `{"channels":[ChannelInfo..],"last_received":"..."|null,"received":N,
///   "acks":[{"ping":"..","ack":{"pong":".."}|{"error":".."}|"<raw ack>"}],"timeouts":[".."],
///   "pending":[PendingPing..]}`
#[derive(Serialize)]
pub struct StateResponse {
    pub channels: Vec<ChannelInfo>,
    pub last_received: Option<String>,
    pub received: u64,
    pub acks: Vec<AckEntry>,
    pub timeouts: Vec<String>,
    pub pending: Vec<PendingPing>,
}

#[derive(Serialize)]
pub struct AckEntry {
    pub ping: String,
    pub ack: AckValue,
}

/// The ack as JSON: the received object for `{"pong":..}` / `{"error":..}`, else a string.
/// (Serialize only: an untagged enum is never deserialized here.)
#[derive(Serialize)]
#[serde(untagged)]
pub enum AckValue {
    Pong { pong: String },
    Error { error: String },
    Raw(String),
}

/// Reads an ack: both fields optional, unknown fields ignored.
#[derive(Deserialize)]
struct AnyAck {
    #[serde(default)]
    pong: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

fn load(storage: &dyn Storage) -> StdResult<State> {
    match storage.get(STATE_KEY) {
        Some(bytes) => from_json(bytes),
        None => Ok(State::default()),
    }
}

fn save(storage: &mut dyn Storage, state: &State) -> StdResult<()> {
    storage.set(STATE_KEY, &to_json_binary(state)?);
    Ok(())
}

/// The ping text of one of our packets (lossy UTF-8 of the data if it is not `{"ping":..}`).
fn packet_text(data: &Binary) -> String {
    match from_json::<PingPacket>(data) {
        Ok(p) => p.ping,
        Err(_) => String::from_utf8_lossy(data.as_slice()).into_owned(),
    }
}

fn check_channel(channel: &IbcChannel, counterparty_version: Option<&str>) -> StdResult<()> {
    if channel.order != IbcOrder::Unordered {
        return Err(StdError::generic_err(
            "only unordered channels are supported",
        ));
    }
    if channel.version != VERSION {
        return Err(StdError::generic_err(format!(
            "channel version must be '{VERSION}', got '{}'",
            channel.version
        )));
    }
    if let Some(v) = counterparty_version {
        if v != VERSION {
            return Err(StdError::generic_err(format!(
                "counterparty version must be '{VERSION}', got '{v}'"
            )));
        }
    }
    Ok(())
}

#[entry_point]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    _msg: Empty,
) -> StdResult<Response> {
    save(deps.storage, &State::default())?;
    Ok(Response::new().add_attribute("action", "instantiate"))
}

#[entry_point]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> StdResult<Response> {
    match msg {
        ExecuteMsg::Transfer {
            channel,
            to_address,
        } => {
            let [amount] = info.funds.as_slice() else {
                return Err(StdError::generic_err("attach exactly one coin to transfer"));
            };
            let transfer = IbcMsg::Transfer {
                channel_id: channel.clone(),
                to_address,
                amount: amount.clone(),
                timeout: IbcTimeout::with_timestamp(env.block.time.plus_seconds(TIMEOUT_SECS)),
                memo: None,
            };
            Ok(Response::new()
                .add_attribute("action", "transfer")
                .add_attribute("channel", channel)
                .add_message(transfer))
        }
        ExecuteMsg::Pong { channel, sequence } => {
            let mut state = load(deps.storage)?;
            let at = state
                .pending
                .iter()
                .position(|p| p.channel_id == channel && p.sequence == sequence)
                .ok_or_else(|| {
                    StdError::generic_err(format!("no pending ping {sequence} on {channel}"))
                })?;
            let PendingPing { ping, .. } = state.pending.remove(at);
            save(deps.storage, &state)?;
            Ok(Response::new()
                .add_attribute("action", "pong")
                .add_attribute("channel", channel.clone())
                .add_message(IbcMsg::WriteAcknowledgement {
                    channel_id: channel,
                    packet_sequence: sequence,
                    ack: IbcAcknowledgement::new(to_json_binary(&PongAck { pong: ping })?),
                }))
        }
        ExecuteMsg::Close { channel } => Ok(Response::new()
            .add_attribute("action", "close")
            .add_attribute("channel", channel.clone())
            .add_message(IbcMsg::CloseChannel {
                channel_id: channel,
            })),
        ExecuteMsg::Ping { channel, text } => {
            let send = IbcMsg::SendPacket {
                channel_id: channel.clone(),
                data: to_json_binary(&PingPacket { ping: text })?,
                timeout: IbcTimeout::with_timestamp(env.block.time.plus_seconds(TIMEOUT_SECS)),
            };
            Ok(Response::new()
                .add_attribute("action", "ping")
                .add_attribute("channel", channel)
                .add_message(send))
        }
    }
}

#[entry_point]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::State {} => {
            let s = load(deps.storage)?;
            let acks = s
                .acks
                .into_iter()
                .map(|a| AckEntry {
                    ping: a.ping,
                    ack: match (a.pong, a.error, a.raw) {
                        (Some(pong), _, _) => AckValue::Pong { pong },
                        (None, Some(error), _) => AckValue::Error { error },
                        (None, None, raw) => AckValue::Raw(raw.unwrap_or_default()),
                    },
                })
                .collect();
            to_json_binary(&StateResponse {
                channels: s.channels,
                last_received: s.last_received,
                received: s.received,
                acks,
                timeouts: s.timeouts,
                pending: s.pending,
            })
        }
        QueryMsg::Ibc {} => {
            let port: PortIdResponse = deps.querier.query(&IbcQuery::PortId {}.into())?;
            #[allow(deprecated)] // still the way to list a port's channels on wasmd
            let channels: ListChannelsResponse = deps
                .querier
                .query(&IbcQuery::ListChannels { port_id: None }.into())?;
            to_json_binary(&IbcResponse {
                port: port.port_id,
                open_channels: channels
                    .channels
                    .into_iter()
                    .map(|c| c.endpoint.channel_id)
                    .collect(),
            })
        }
    }
}

#[entry_point]
pub fn ibc_channel_open(
    _deps: DepsMut,
    _env: Env,
    msg: IbcChannelOpenMsg,
) -> StdResult<IbcChannelOpenResponse> {
    check_channel(msg.channel(), msg.counterparty_version())?;
    Ok(Some(Ibc3ChannelOpenResponse {
        version: VERSION.to_string(),
    }))
}

#[entry_point]
pub fn ibc_channel_connect(
    deps: DepsMut,
    _env: Env,
    msg: IbcChannelConnectMsg,
) -> StdResult<IbcBasicResponse> {
    let channel = msg.channel();
    check_channel(channel, msg.counterparty_version())?;
    let info = ChannelInfo {
        channel_id: channel.endpoint.channel_id.clone(),
        port_id: channel.endpoint.port_id.clone(),
        counterparty_port_id: channel.counterparty_endpoint.port_id.clone(),
        counterparty_channel_id: channel.counterparty_endpoint.channel_id.clone(),
        connection_id: channel.connection_id.clone(),
        open: true,
    };
    let mut state = load(deps.storage)?;
    state.channels.retain(|c| c.channel_id != info.channel_id);
    state.channels.push(info);
    save(deps.storage, &state)?;
    Ok(IbcBasicResponse::new()
        .add_attribute("action", "channel_connect")
        .add_attribute("channel", &channel.endpoint.channel_id))
}

#[entry_point]
pub fn ibc_channel_close(
    deps: DepsMut,
    _env: Env,
    msg: IbcChannelCloseMsg,
) -> StdResult<IbcBasicResponse> {
    let channel = msg.channel();
    let id = &channel.endpoint.channel_id;
    let mut state = load(deps.storage)?;
    match state.channels.iter_mut().find(|c| &c.channel_id == id) {
        Some(c) => c.open = false,
        None => state.channels.push(ChannelInfo {
            channel_id: id.clone(),
            port_id: channel.endpoint.port_id.clone(),
            counterparty_port_id: channel.counterparty_endpoint.port_id.clone(),
            counterparty_channel_id: channel.counterparty_endpoint.channel_id.clone(),
            connection_id: channel.connection_id.clone(),
            open: false,
        }),
    }
    save(deps.storage, &state)?;
    Ok(IbcBasicResponse::new()
        .add_attribute("action", "channel_close")
        .add_attribute("channel", id))
}

#[entry_point]
pub fn ibc_packet_receive(
    deps: DepsMut,
    _env: Env,
    msg: IbcPacketReceiveMsg,
) -> StdResult<IbcReceiveResponse> {
    match from_json::<PingPacket>(&msg.packet.data) {
        Ok(PingPacket { ping }) => {
            let mut state = load(deps.storage)?;
            state.last_received = Some(ping.clone());
            state.received += 1;
            if ping.starts_with(LATER_PREFIX) {
                state.pending.push(PendingPing {
                    channel_id: msg.packet.dest.channel_id.clone(),
                    sequence: msg.packet.sequence,
                    ping,
                });
                save(deps.storage, &state)?;
                return Ok(IbcReceiveResponse::without_ack()
                    .add_attribute("action", "receive")
                    .add_attribute("ack", "later"));
            }
            save(deps.storage, &state)?;
            Ok(
                IbcReceiveResponse::new(to_json_binary(&PongAck { pong: ping })?)
                    .add_attribute("action", "receive")
                    .add_attribute("success", "true"),
            )
        }
        Err(e) => Ok(IbcReceiveResponse::new(to_json_binary(&ErrorAck {
            error: format!("invalid ping packet: {e}"),
        })?)
        .add_attribute("action", "receive")
        .add_attribute("success", "false")),
    }
}

#[entry_point]
pub fn ibc_packet_ack(
    deps: DepsMut,
    _env: Env,
    msg: IbcPacketAckMsg,
) -> StdResult<IbcBasicResponse> {
    let ping = packet_text(&msg.original_packet.data);
    let data = &msg.acknowledgement.data;
    let stored = match from_json::<AnyAck>(data) {
        Ok(AnyAck {
            pong: Some(pong), ..
        }) => StoredAck {
            ping,
            pong: Some(pong),
            ..Default::default()
        },
        Ok(AnyAck {
            error: Some(error), ..
        }) => StoredAck {
            ping,
            error: Some(error),
            ..Default::default()
        },
        _ => StoredAck {
            ping,
            raw: Some(String::from_utf8_lossy(data.as_slice()).into_owned()),
            ..Default::default()
        },
    };
    let mut state = load(deps.storage)?;
    state.acks.push(stored);
    save(deps.storage, &state)?;
    Ok(IbcBasicResponse::new().add_attribute("action", "ack"))
}

#[entry_point]
pub fn ibc_packet_timeout(
    deps: DepsMut,
    _env: Env,
    msg: IbcPacketTimeoutMsg,
) -> StdResult<IbcBasicResponse> {
    let mut state = load(deps.storage)?;
    state.timeouts.push(packet_text(&msg.packet.data));
    save(deps.storage, &state)?;
    Ok(IbcBasicResponse::new().add_attribute("action", "timeout"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{
        message_info, mock_dependencies, mock_env, mock_ibc_channel_close_init,
        mock_ibc_channel_connect_ack, mock_ibc_channel_connect_confirm, mock_ibc_channel_open_init,
        mock_ibc_channel_open_try, mock_ibc_packet_ack, mock_ibc_packet_recv,
        mock_ibc_packet_timeout, MockApi, MockQuerier, MockStorage,
    };
    use cosmwasm_std::{from_json, CosmosMsg, IbcAcknowledgement, IbcChannelOpenMsg, OwnedDeps};

    fn setup() -> OwnedDeps<MockStorage, MockApi, MockQuerier> {
        let mut deps = mock_dependencies();
        let info = message_info(&deps.api.addr_make("creator"), &[]);
        instantiate(deps.as_mut(), mock_env(), info, Empty {}).unwrap();
        deps
    }

    fn state_json(deps: Deps) -> String {
        let bin = query(deps, mock_env(), from_json(br#"{"state":{}}"#).unwrap()).unwrap();
        String::from_utf8(bin.to_vec()).unwrap()
    }

    #[test]
    fn instantiate_and_empty_state() {
        let deps = setup();
        assert_eq!(
            state_json(deps.as_ref()),
            r#"{"channels":[],"last_received":null,"received":0,"acks":[],"timeouts":[],"pending":[]}"#
        );
    }

    #[test]
    fn channel_open_accepts_only_unordered_ping_version() {
        let mut deps = setup();
        let ok = mock_ibc_channel_open_init("channel-0", IbcOrder::Unordered, VERSION);
        let res = ibc_channel_open(deps.as_mut(), mock_env(), ok).unwrap();
        assert_eq!(
            res,
            Some(Ibc3ChannelOpenResponse {
                version: VERSION.to_string()
            })
        );
        let ok_try = mock_ibc_channel_open_try("channel-0", IbcOrder::Unordered, VERSION);
        assert!(ibc_channel_open(deps.as_mut(), mock_env(), ok_try).is_ok());

        let ordered = mock_ibc_channel_open_init("channel-0", IbcOrder::Ordered, VERSION);
        let err = ibc_channel_open(deps.as_mut(), mock_env(), ordered).unwrap_err();
        assert!(err.to_string().contains("unordered"), "{err}");
        let bad_version = mock_ibc_channel_open_init("channel-0", IbcOrder::Unordered, "ics20-1");
        let err = ibc_channel_open(deps.as_mut(), mock_env(), bad_version).unwrap_err();
        assert!(err.to_string().contains("ics20-1"), "{err}");

        // OpenTry whose counterparty proposed another version.
        let mut channel =
            cosmwasm_std::testing::mock_ibc_channel("channel-0", IbcOrder::Unordered, VERSION);
        channel.version = VERSION.to_string();
        let bad_cp = IbcChannelOpenMsg::new_try(channel, "other-1");
        let err = ibc_channel_open(deps.as_mut(), mock_env(), bad_cp).unwrap_err();
        assert!(err.to_string().contains("counterparty version"), "{err}");
    }

    #[test]
    fn connect_records_channel_and_close_marks_it() {
        let mut deps = setup();
        let msg = mock_ibc_channel_connect_ack("channel-3", IbcOrder::Unordered, VERSION);
        let res = ibc_channel_connect(deps.as_mut(), mock_env(), msg).unwrap();
        assert_eq!(res.attributes[0].value, "channel_connect");
        let msg = mock_ibc_channel_connect_confirm("channel-4", IbcOrder::Unordered, VERSION);
        ibc_channel_connect(deps.as_mut(), mock_env(), msg).unwrap();
        let bad = mock_ibc_channel_connect_ack("channel-5", IbcOrder::Unordered, "v2");
        assert!(ibc_channel_connect(deps.as_mut(), mock_env(), bad).is_err());

        assert_eq!(
            state_json(deps.as_ref()),
            concat!(
                r#"{"channels":[{"channel_id":"channel-3","port_id":"my_port","counterparty_port_id":"their_port","#,
                r#""counterparty_channel_id":"channel-7","connection_id":"connection-2","open":true},"#,
                r#"{"channel_id":"channel-4","port_id":"my_port","counterparty_port_id":"their_port","#,
                r#""counterparty_channel_id":"channel-7","connection_id":"connection-2","open":true}],"#,
                r#""last_received":null,"received":0,"acks":[],"timeouts":[],"pending":[]}"#
            )
        );

        let close = mock_ibc_channel_close_init("channel-3", IbcOrder::Unordered, VERSION);
        ibc_channel_close(deps.as_mut(), mock_env(), close).unwrap();
        let s = load(&deps.storage).unwrap();
        assert_eq!(s.channels.len(), 2);
        assert_eq!(
            (s.channels[0].channel_id.as_str(), s.channels[0].open),
            ("channel-3", false)
        );
        assert_eq!(
            (s.channels[1].channel_id.as_str(), s.channels[1].open),
            ("channel-4", true)
        );
    }

    #[test]
    fn ping_sends_packet_with_timeout() {
        let mut deps = setup();
        let env = mock_env();
        let info = message_info(&deps.api.addr_make("anyone"), &[]);
        let msg: ExecuteMsg =
            from_json(br#"{"ping":{"channel":"channel-9","text":"hello"}}"#).unwrap();
        let res = execute(deps.as_mut(), env.clone(), info, msg).unwrap();
        assert_eq!(res.attributes[0].key, "action");
        assert_eq!(res.attributes[0].value, "ping");
        assert_eq!(res.messages.len(), 1);
        match &res.messages[0].msg {
            CosmosMsg::Ibc(IbcMsg::SendPacket {
                channel_id,
                data,
                timeout,
            }) => {
                assert_eq!(channel_id, "channel-9");
                assert_eq!(data.as_slice(), br#"{"ping":"hello"}"#);
                assert_eq!(timeout.timestamp(), Some(env.block.time.plus_seconds(600)));
                assert_eq!(timeout.block(), None);
            }
            other => panic!("unexpected message {other:?}"),
        }
    }

    #[test]
    fn close_asks_the_chain_to_close_the_channel() {
        let mut deps = setup();
        let info = message_info(&deps.api.addr_make("anyone"), &[]);
        let msg: ExecuteMsg = from_json(br#"{"close":{"channel":"channel-2"}}"#).unwrap();
        let res = execute(deps.as_mut(), mock_env(), info, msg).unwrap();
        assert_eq!(res.attributes[0].value, "close");
        assert_eq!(res.messages.len(), 1);
        assert_eq!(
            res.messages[0].msg,
            CosmosMsg::Ibc(IbcMsg::CloseChannel {
                channel_id: "channel-2".into()
            })
        );
    }

    #[test]
    fn transfer_forwards_the_attached_coin() {
        let mut deps = setup();
        let env = mock_env();
        let to = deps.api.addr_make("far away").to_string();
        let msg: ExecuteMsg = from_json(
            format!(r#"{{"transfer":{{"channel":"channel-0","to_address":"{to}"}}}}"#).as_bytes(),
        )
        .unwrap();
        let sender = deps.api.addr_make("anyone");
        let none = message_info(&sender, &[]);
        assert!(execute(deps.as_mut(), env.clone(), none, msg.clone()).is_err());
        let info = message_info(&sender, &[cosmwasm_std::coin(1000, "uopen")]);
        let res = execute(deps.as_mut(), env.clone(), info, msg).unwrap();
        match &res.messages[0].msg {
            CosmosMsg::Ibc(IbcMsg::Transfer {
                channel_id,
                to_address,
                amount,
                timeout,
                memo,
            }) => {
                assert_eq!(channel_id, "channel-0");
                assert_eq!(to_address, &to);
                assert_eq!(amount, &cosmwasm_std::coin(1000, "uopen"));
                assert_eq!(timeout.timestamp(), Some(env.block.time.plus_seconds(600)));
                assert_eq!(memo, &None);
            }
            other => panic!("unexpected message {other:?}"),
        }
    }

    #[test]
    fn receive_acks_pong_and_counts() {
        let mut deps = setup();
        let msg = mock_ibc_packet_recv("channel-3", &PingPacket { ping: "hi".into() }).unwrap();
        let res = ibc_packet_receive(deps.as_mut(), mock_env(), msg).unwrap();
        assert_eq!(res.acknowledgement.unwrap().as_slice(), br#"{"pong":"hi"}"#);
        let msg = mock_ibc_packet_recv(
            "channel-3",
            &PingPacket {
                ping: "again".into(),
            },
        )
        .unwrap();
        ibc_packet_receive(deps.as_mut(), mock_env(), msg).unwrap();
        assert_eq!(
            state_json(deps.as_ref()),
            r#"{"channels":[],"last_received":"again","received":2,"acks":[],"timeouts":[],"pending":[]}"#
        );
    }

    #[test]
    fn later_pings_wait_for_a_pong_that_writes_their_ack() {
        let mut deps = setup();
        let ping = PingPacket {
            ping: "later: hi".into(),
        };
        let msg = mock_ibc_packet_recv("channel-3", &ping).unwrap();
        let sequence = msg.packet.sequence;
        let res = ibc_packet_receive(deps.as_mut(), mock_env(), msg).unwrap();
        assert_eq!(res.acknowledgement, None, "no acknowledgement yet");
        assert_eq!(
            load(&deps.storage).unwrap().pending,
            vec![PendingPing {
                channel_id: "channel-3".into(),
                sequence,
                ping: "later: hi".into(),
            }]
        );

        let info = message_info(&deps.api.addr_make("anyone"), &[]);
        let wrong = ExecuteMsg::Pong {
            channel: "channel-3".into(),
            sequence: sequence + 1,
        };
        assert!(execute(deps.as_mut(), mock_env(), info.clone(), wrong).is_err());
        let pong = ExecuteMsg::Pong {
            channel: "channel-3".into(),
            sequence,
        };
        let res = execute(deps.as_mut(), mock_env(), info.clone(), pong.clone()).unwrap();
        assert_eq!(
            res.messages[0].msg,
            CosmosMsg::Ibc(IbcMsg::WriteAcknowledgement {
                channel_id: "channel-3".into(),
                packet_sequence: sequence,
                ack: IbcAcknowledgement::new(br#"{"pong":"later: hi"}"#.to_vec()),
            })
        );
        assert!(load(&deps.storage).unwrap().pending.is_empty());
        assert!(
            execute(deps.as_mut(), mock_env(), info, pong).is_err(),
            "a ping is acknowledged once"
        );
    }

    #[test]
    fn malformed_packet_gets_error_ack_not_err() {
        let mut deps = setup();
        let mut msg = mock_ibc_packet_recv("channel-3", &"x").unwrap();
        msg.packet.data = Binary::from(b"not json".to_vec());
        let res = ibc_packet_receive(deps.as_mut(), mock_env(), msg).unwrap();
        let ack = String::from_utf8(res.acknowledgement.unwrap().to_vec()).unwrap();
        assert!(
            ack.starts_with(r#"{"error":"invalid ping packet: "#),
            "{ack}"
        );
        let msg = mock_ibc_packet_recv(
            "channel-3",
            &PongAck {
                pong: "wrong shape".into(),
            },
        )
        .unwrap();
        let res = ibc_packet_receive(deps.as_mut(), mock_env(), msg).unwrap();
        let ack = String::from_utf8(res.acknowledgement.unwrap().to_vec()).unwrap();
        assert!(ack.starts_with(r#"{"error":"#), "{ack}");
        // Nothing counted.
        let s = load(&deps.storage).unwrap();
        assert_eq!((s.received, s.last_received), (0, None));
    }

    #[test]
    fn ack_and_timeout_are_recorded() {
        let mut deps = setup();
        let pong = IbcAcknowledgement::new(br#"{"pong":"a"}"#.to_vec());
        let msg = mock_ibc_packet_ack("channel-3", &PingPacket { ping: "a".into() }, pong).unwrap();
        ibc_packet_ack(deps.as_mut(), mock_env(), msg).unwrap();
        let err = IbcAcknowledgement::new(br#"{"error":"boom"}"#.to_vec());
        let msg = mock_ibc_packet_ack("channel-3", &PingPacket { ping: "b".into() }, err).unwrap();
        ibc_packet_ack(deps.as_mut(), mock_env(), msg).unwrap();
        let raw = IbcAcknowledgement::new(b"\x01".to_vec());
        let msg = mock_ibc_packet_ack("channel-3", &PingPacket { ping: "c".into() }, raw).unwrap();
        ibc_packet_ack(deps.as_mut(), mock_env(), msg).unwrap();

        let msg = mock_ibc_packet_timeout(
            "channel-3",
            &PingPacket {
                ping: "late".into(),
            },
        )
        .unwrap();
        let res = ibc_packet_timeout(deps.as_mut(), mock_env(), msg).unwrap();
        assert_eq!(res.attributes[0].value, "timeout");

        assert_eq!(
            state_json(deps.as_ref()),
            concat!(
                r#"{"channels":[],"last_received":null,"received":0,"#,
                r#""acks":[{"ping":"a","ack":{"pong":"a"}},{"ping":"b","ack":{"error":"boom"}},{"ping":"c","ack":"\u0001"}],"#,
                r#""timeouts":["late"],"pending":[]}"#
            )
        );
    }
}

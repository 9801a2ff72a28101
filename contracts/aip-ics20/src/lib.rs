//! The AIP bridge endpoint on AIPCHAIN: the cw-plus `cw20-ics20` contract
//! (crates.io 2.0), unchanged, exported as one of this workspace's contracts
//! so that `ci/build-wasm.sh aip-ics20` builds, lowers and checks it like the
//! others.
//!
//! A CW20 `Send` of AIP to this contract with a `TransferMsg`
//! (`{"channel": "...", "remote_address": "...", "timeout": ...}`) escrows
//! the tokens and sends an ICS-20 packet over the channel; the EVM chain
//! mints the voucher, which its `x/erc20` module exposes as an ERC-20. The
//! way back releases the escrowed CW20. Only CW20 contracts in the
//! allow-list are accepted (`aip deploy --with-ics20` lists AIP alone and
//! sets no default gas limit, which refuses every other CW20).
//!
//! Nothing is re-implemented here: every entry point forwards to
//! `cw20_ics20`. The crate is named `aip-ics20` rather than `cw20-ics20` so
//! that it does not clash with the dependency's crate name.
#![cfg_attr(test, allow(clippy::unwrap_used))] // tests report failures by panicking

pub use cw20_ics20::msg;
pub use cw20_ics20::ContractError;

/// The contract's entry points, each forwarding to the same function of
/// `cw20_ics20::contract` or `cw20_ics20::ibc`.
#[cfg(not(feature = "library"))]
pub mod entry {
    use cosmwasm_std::{
        entry_point, Binary, Deps, DepsMut, Env, Ibc3ChannelOpenResponse, IbcBasicResponse,
        IbcChannelCloseMsg, IbcChannelConnectMsg, IbcChannelOpenMsg, IbcPacketAckMsg,
        IbcPacketReceiveMsg, IbcPacketTimeoutMsg, IbcReceiveResponse, MessageInfo, Never, Reply,
        Response, StdResult,
    };
    use cw20_ics20::msg::{ExecuteMsg, InitMsg, MigrateMsg, QueryMsg};
    use cw20_ics20::{contract, ibc, ContractError};

    /// Stores the default timeout, the admin and the allow-list.
    #[entry_point]
    pub fn instantiate(
        deps: DepsMut,
        env: Env,
        info: MessageInfo,
        msg: InitMsg,
    ) -> Result<Response, ContractError> {
        contract::instantiate(deps, env, info, msg)
    }

    /// `Receive` (a CW20 `Send` carrying a `TransferMsg`), `Transfer` of native coins, `Allow`, `UpdateAdmin`.
    #[entry_point]
    pub fn execute(
        deps: DepsMut,
        env: Env,
        info: MessageInfo,
        msg: ExecuteMsg,
    ) -> Result<Response, ContractError> {
        contract::execute(deps, env, info, msg)
    }

    /// `Port`, `ListChannels`, `Channel` (balances in flight), `Config`, `Allowed`, `ListAllowed`, `Admin`.
    #[entry_point]
    pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
        contract::query(deps, env, msg)
    }

    /// Migrates from earlier cw20-ics20 versions.
    #[entry_point]
    pub fn migrate(deps: DepsMut, env: Env, msg: MigrateMsg) -> Result<Response, ContractError> {
        contract::migrate(deps, env, msg)
    }

    /// Turns a failed payout of a received packet into an error acknowledgement.
    #[entry_point]
    pub fn reply(deps: DepsMut, env: Env, reply: Reply) -> Result<Response, ContractError> {
        ibc::reply(deps, env, reply)
    }

    /// Accepts only unordered `ics20-1` channels.
    #[entry_point]
    pub fn ibc_channel_open(
        deps: DepsMut,
        env: Env,
        msg: IbcChannelOpenMsg,
    ) -> Result<Option<Ibc3ChannelOpenResponse>, ContractError> {
        ibc::ibc_channel_open(deps, env, msg)
    }

    /// Records the new channel.
    #[entry_point]
    pub fn ibc_channel_connect(
        deps: DepsMut,
        env: Env,
        msg: IbcChannelConnectMsg,
    ) -> Result<IbcBasicResponse, ContractError> {
        ibc::ibc_channel_connect(deps, env, msg)
    }

    /// Aborts: cw20-ics20 does not implement closing a channel (escrowed tokens would be stranded).
    #[entry_point]
    pub fn ibc_channel_close(
        deps: DepsMut,
        env: Env,
        msg: IbcChannelCloseMsg,
    ) -> Result<IbcBasicResponse, ContractError> {
        ibc::ibc_channel_close(deps, env, msg)
    }

    /// Releases escrowed CW20 for a packet coming back; an error acknowledgement otherwise.
    #[entry_point]
    pub fn ibc_packet_receive(
        deps: DepsMut,
        env: Env,
        msg: IbcPacketReceiveMsg,
    ) -> Result<IbcReceiveResponse, Never> {
        // cw20-ics20 has its own (private) uninhabited `Never`: a failed
        // receive is an error acknowledgement inside `Ok`, never an `Err`.
        match ibc::ibc_packet_receive(deps, env, msg) {
            Ok(response) => Ok(response),
            Err(never) => match never {},
        }
    }

    /// On an error acknowledgement, refunds the sender.
    #[entry_point]
    pub fn ibc_packet_ack(
        deps: DepsMut,
        env: Env,
        msg: IbcPacketAckMsg,
    ) -> Result<IbcBasicResponse, ContractError> {
        ibc::ibc_packet_ack(deps, env, msg)
    }

    /// Refunds the sender of a packet that timed out.
    #[entry_point]
    pub fn ibc_packet_timeout(
        deps: DepsMut,
        env: Env,
        msg: IbcPacketTimeoutMsg,
    ) -> Result<IbcBasicResponse, ContractError> {
        ibc::ibc_packet_timeout(deps, env, msg)
    }
}

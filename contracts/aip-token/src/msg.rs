//! Messages: exactly those of cw20-base, so every CW20 client works unchanged.

use cosmwasm_schema::cw_serde;

/// `{ name, symbol, decimals, initial_balances, mint: { minter, cap }, marketing }`.
/// `decimals` must be 6; the cap, if set, bounds the total supply forever.
pub use cw20_base::msg::InstantiateMsg;

/// The CW20 execute messages: `transfer`, `send`, `burn`, `mint`,
/// `increase_allowance`, `decrease_allowance`, `transfer_from`, `send_from`,
/// `burn_from`, `update_marketing`, `upload_logo`, `update_minter`.
pub use cw20_base::msg::ExecuteMsg;

/// The CW20 queries: `balance`, `token_info`, `minter`, `allowance`,
/// `all_allowances`, `all_spender_allowances`, `all_accounts`,
/// `marketing_info`, `download_logo`.
pub use cw20_base::msg::QueryMsg;

/// Migration takes no parameters.
#[cw_serde]
pub struct MigrateMsg {}

/// Decimals of the AIP token (`1 AIP = 1_000_000 uaip`).
pub const AIP_DECIMALS: u8 = 6;

package app

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
	reflectionv1 "cosmossdk.io/api/cosmos/reflection/v1"

	runtimeservices "github.com/cosmos/cosmos-sdk/runtime/services"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/cosmos/evm/crypto/hd"
)

const (
	// Bech32Prefix is the account address prefix (accounts are
	// eth_secp256k1 keys; the same 20 bytes are the 0x address).
	Bech32Prefix = "aipevm"
	// Denom is the gas and staking coin, 18 decimals (atto units).
	Denom = "aevm"
	// DisplayDenom is the coin's display unit (10^18 aevm).
	DisplayDenom = "evm"
	// EVMChainID is the EIP-155 chain id answered by eth_chainId.
	EVMChainID uint64 = 262144
)

// SetAddressConfig sets the bech32 prefixes and the Ethereum HD path
// (coin type 60) in the SDK's global config, then seals it.
func SetAddressConfig() {
	cfg := sdk.GetConfig()
	cfg.SetBech32PrefixForAccount(Bech32Prefix, Bech32Prefix+sdk.PrefixPublic)
	cfg.SetBech32PrefixForValidator(Bech32Prefix+"valoper", Bech32Prefix+"valoperpub")
	cfg.SetBech32PrefixForConsensusNode(Bech32Prefix+"valcons", Bech32Prefix+"valconspub")
	cfg.SetCoinType(hd.Bip44CoinType)
	cfg.SetPurpose(sdk.Purpose)
	cfg.Seal()
}

// autocliv1RegisterQuery registers the autocli and reflection query services
// (clients discover the modules' commands through them).
func autocliv1RegisterQuery(app *App) {
	autocliv1.RegisterQueryServer(app.GRPCQueryRouter(), runtimeservices.NewAutoCLIQueryService(app.ModuleManager.Modules))
	reflectionSvc, err := runtimeservices.NewReflectionService()
	if err != nil {
		panic(err)
	}
	reflectionv1.RegisterReflectionServiceServer(app.GRPCQueryRouter(), reflectionSvc)
}

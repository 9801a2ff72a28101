package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cast"
	"github.com/spf13/cobra"

	cmtcfg "github.com/cometbft/cometbft/config"

	clienthelpers "cosmossdk.io/client/v2/helpers"
	"cosmossdk.io/log"
	confixcmd "cosmossdk.io/tools/confix/cmd"
	dbm "github.com/cosmos/cosmos-db"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client"
	clientcfg "github.com/cosmos/cosmos-sdk/client/config"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/rpc"
	sdkserver "github.com/cosmos/cosmos-sdk/server"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	authcmd "github.com/cosmos/cosmos-sdk/x/auth/client/cli"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	genutilcli "github.com/cosmos/cosmos-sdk/x/genutil/client/cli"

	cosmosevmcmd "github.com/cosmos/evm/client"
	evmdebug "github.com/cosmos/evm/client/debug"
	evmconfig "github.com/cosmos/evm/config"
	"github.com/cosmos/evm/crypto/hd"
	cosmosevmserver "github.com/cosmos/evm/server"
	srvflags "github.com/cosmos/evm/server/flags"

	"aipevm/app"
)

// DefaultNodeHome is ~/.aipevmd unless --home says otherwise.
func DefaultNodeHome() string {
	home, err := clienthelpers.GetNodeHomeDirectory("." + app.Name)
	if err != nil {
		panic(err)
	}
	return home
}

// NewRootCmd builds the aipevmd command tree: init/genesis, keys
// (eth_secp256k1 by default), start (CometBFT node + JSON-RPC), query, tx.
func NewRootCmd() *cobra.Command {
	// A throwaway app instance provides the codecs and module commands.
	tempApp := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.EmptyAppOptions{})

	initClientCtx := client.Context{}.
		WithCodec(tempApp.AppCodec()).
		WithInterfaceRegistry(tempApp.InterfaceRegistry()).
		WithTxConfig(tempApp.TxConfig()).
		WithLegacyAmino(tempApp.LegacyAmino()).
		WithInput(os.Stdin).
		WithAccountRetriever(authtypes.AccountRetriever{}).
		WithBroadcastMode(flags.FlagBroadcastMode).
		WithHomeDir(DefaultNodeHome()).
		WithViper("").
		WithKeyringOptions(hd.EthSecp256k1Option()).
		WithLedgerHasProtobuf(true)

	rootCmd := &cobra.Command{
		Use:   app.Name,
		Short: "AIPCHAIN EVM chain (cosmos/evm) bridged to AIPCHAIN over IBC",
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(cmd.OutOrStdout())
			cmd.SetErr(cmd.ErrOrStderr())
			ctx := initClientCtx.WithCmdContext(cmd.Context())
			ctx, err := client.ReadPersistentCommandFlags(ctx, cmd.Flags())
			if err != nil {
				return err
			}
			ctx, err = clientcfg.ReadFromClientConfig(ctx)
			if err != nil {
				return err
			}
			if err := client.SetCmdClientContextHandler(ctx, cmd); err != nil {
				return err
			}
			appTemplate, appConfig := evmconfig.InitAppConfig(app.Denom, app.EVMChainID)
			evmAppConfig, ok := appConfig.(evmconfig.EVMAppConfig)
			if !ok {
				return fmt.Errorf("cosmos/evm InitAppConfig returned %T, expected EVMAppConfig", appConfig)
			}
			// The JSON-RPC server needs the app-side (EVM) mempool, which
			// the SDK's default max-txs = -1 would switch off; 0 = unbounded.
			evmAppConfig.Mempool.MaxTxs = 0
			return sdkserver.InterceptConfigsPreRunHandler(cmd, appTemplate, evmAppConfig, cmtcfg.DefaultConfig())
		},
	}

	home := DefaultNodeHome()
	rootCmd.AddCommand(
		genutilcli.InitCmd(tempApp.BasicModuleManager, home),
		genutilcli.Commands(tempApp.TxConfig(), tempApp.BasicModuleManager, home),
		confixcmd.ConfigCommand(),
		evmdebug.Cmd(),
	)
	cosmosevmserver.AddCommands(
		rootCmd,
		cosmosevmserver.NewDefaultStartOptions(newApp, home),
		exportApp,
		func(*cobra.Command) {},
	)
	rootCmd.AddCommand(
		cosmosevmcmd.KeyCommands(home, true),
		sdkserver.StatusCommand(),
		queryCommand(),
		txCommand(),
	)
	if _, err := srvflags.AddTxFlags(rootCmd); err != nil {
		panic(err)
	}

	autoCliOpts := tempApp.AutoCliOpts()
	initClientCtx, _ = clientcfg.ReadFromClientConfig(initClientCtx)
	autoCliOpts.ClientCtx = initClientCtx
	if err := autoCliOpts.EnhanceRootCommand(rootCmd); err != nil {
		panic(err)
	}
	return rootCmd
}

func queryCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "query",
		Aliases: []string{"q"},
		Short:   "Querying subcommands",
		RunE:    client.ValidateCmd,
	}
	cmd.AddCommand(
		rpc.QueryEventForTxCmd(),
		rpc.ValidatorCommand(),
		authcmd.QueryTxsByEventsCmd(),
		authcmd.QueryTxCmd(),
		sdkserver.QueryBlockCmd(),
		sdkserver.QueryBlockResultsCmd(),
	)
	cmd.PersistentFlags().String(flags.FlagChainID, "", "The network chain ID")
	return cmd
}

func txCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tx",
		Short: "Transactions subcommands",
		RunE:  client.ValidateCmd,
	}
	cmd.AddCommand(
		authcmd.GetSignCommand(),
		authcmd.GetBroadcastCommand(),
		authcmd.GetEncodeCommand(),
		authcmd.GetDecodeCommand(),
		authcmd.GetSimulateCmd(),
	)
	cmd.PersistentFlags().String(flags.FlagChainID, "", "The network chain ID")
	return cmd
}

// baseAppOptions reads the node's flags and app.toml into BaseApp options.
func baseAppOptions(appOpts servertypes.AppOptions) []func(*baseapp.BaseApp) {
	pruningOpts, err := sdkserver.GetPruningOptionsFromFlags(appOpts)
	if err != nil {
		panic(err)
	}
	chainID := cast.ToString(appOpts.Get(flags.FlagChainID))
	if chainID == "" {
		chainID, err = evmconfig.GetChainIDFromHome(cast.ToString(appOpts.Get(flags.FlagHome)))
		if err != nil {
			panic(err)
		}
	}
	return []func(*baseapp.BaseApp){
		baseapp.SetPruning(pruningOpts),
		baseapp.SetMinGasPrices(cast.ToString(appOpts.Get(sdkserver.FlagMinGasPrices))),
		baseapp.SetQueryGasLimit(cast.ToUint64(appOpts.Get(sdkserver.FlagQueryGasLimit))),
		baseapp.SetHaltHeight(cast.ToUint64(appOpts.Get(sdkserver.FlagHaltHeight))),
		baseapp.SetHaltTime(cast.ToUint64(appOpts.Get(sdkserver.FlagHaltTime))),
		baseapp.SetMinRetainBlocks(cast.ToUint64(appOpts.Get(sdkserver.FlagMinRetainBlocks))),
		baseapp.SetTrace(cast.ToBool(appOpts.Get(sdkserver.FlagTrace))),
		baseapp.SetIndexEvents(cast.ToStringSlice(appOpts.Get(sdkserver.FlagIndexEvents))),
		baseapp.SetIAVLCacheSize(cast.ToInt(appOpts.Get(sdkserver.FlagIAVLCacheSize))),
		baseapp.SetIAVLDisableFastNode(cast.ToBool(appOpts.Get(sdkserver.FlagDisableIAVLFastNode))),
		baseapp.SetChainID(chainID),
	}
}

func newApp(logger log.Logger, db dbm.DB, traceStore io.Writer, appOpts servertypes.AppOptions) cosmosevmserver.Application {
	return app.New(logger, db, traceStore, true, appOpts, baseAppOptions(appOpts)...)
}

func exportApp(
	logger log.Logger, db dbm.DB, traceStore io.Writer, height int64, forZeroHeight bool,
	jailAllowedAddrs []string, appOpts servertypes.AppOptions, modulesToExport []string,
) (servertypes.ExportedApp, error) {
	if home, ok := appOpts.Get(flags.FlagHome).(string); !ok || home == "" {
		return servertypes.ExportedApp{}, errors.New("application home is not set")
	}
	a := app.New(logger, db, traceStore, height == -1, appOpts, baseAppOptions(appOpts)...)
	if height != -1 {
		if err := a.LoadHeight(height); err != nil {
			return servertypes.ExportedApp{}, err
		}
	}
	return a.ExportAppStateAndValidators(forZeroHeight, jailAllowedAddrs, modulesToExport)
}

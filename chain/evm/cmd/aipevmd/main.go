// Command aipevmd runs the AIPCHAIN EVM chain (see package app).
package main

import (
	"fmt"
	"os"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"aipevm/app"
)

func main() {
	app.SetAddressConfig()
	rootCmd := NewRootCmd()
	if err := svrcmd.Execute(rootCmd, "", DefaultNodeHome()); err != nil {
		fmt.Fprintln(rootCmd.OutOrStderr(), err)
		os.Exit(1)
	}
}

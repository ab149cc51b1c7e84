package main

import (
	"context"
	"io"

	"taxsms/simulator"
)

// runSMSCSim runs "taxsms smsc-sim": the carrier gateway simulator for CMPP,
// SGIP, SMGP and SMPP, until ctx ends (SIGINT or SIGTERM). Its flags, default
// accounts and HTTP API are described by simulator.CommandUsage
// ("taxsms smsc-sim -help").
func runSMSCSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return simulator.RunCommand(ctx, args, stdout, stderr)
}

package simulator_test

import (
	"context"
	"testing"
	"time"

	"taxsms/simulator"
)

// Test accounts, one per protocol, and a second CMPP one limited to one link.
const (
	cmppAccount = "901234"
	cmppSecret  = "s3cret"
	cmppOneLink = "901235"
	sgipAccount = "sp12366"
	smgpAccount = "10612366"
	smppAccount = "taxsms"
	secret      = "s3cret"
)

// testConfig returns a configuration serving every protocol on a free
// loopback port with fast receipts; change it before start.
func testConfig() simulator.Config {
	return simulator.Config{
		CMPP: simulator.ListenConfig{Addr: "127.0.0.1:0", Accounts: map[string]simulator.Account{
			cmppAccount: {Secret: cmppSecret},
			cmppOneLink: {Secret: cmppSecret, MaxConns: 1},
		}},
		SGIP: simulator.ListenConfig{Addr: "127.0.0.1:0", Accounts: map[string]simulator.Account{
			sgipAccount: {Secret: secret, MaxConns: 2},
		}},
		SMGP: simulator.ListenConfig{Addr: "127.0.0.1:0", Accounts: map[string]simulator.Account{
			smgpAccount: {Secret: secret, MaxConns: 1},
		}},
		SMPP: simulator.ListenConfig{Addr: "127.0.0.1:0", Accounts: map[string]simulator.Account{
			smppAccount: {Secret: secret, MaxConns: 1},
		}},
		ReceiptDelay:    10 * time.Millisecond,
		ResponseTimeout: 2 * time.Second,
		RedeliverDelay:  20 * time.Millisecond,
		CloseTimeout:    500 * time.Millisecond,
		Seed:            1,
	}
}

// start starts a simulator with cfg and closes it when the test ends.
func start(t *testing.T, cfg simulator.Config) *simulator.Simulator {
	t.Helper()
	sim, err := simulator.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

// waitFor polls cond until it holds or a few seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

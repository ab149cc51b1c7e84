package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"taxsms"
	"taxsms/carrier"
	"taxsms/simulator"
)

// localCarriers is a carrier simulator running in this process, and the
// links of the platform to it: China Mobile over CMPP, China Unicom over
// SGIP and China Telecom over SMGP, as the demo and the benchmarks use them.
type localCarriers struct {
	Sim     *simulator.Simulator
	Links   []carrier.LinkConfig
	Options carrier.Options
	sgip    net.Listener
}

const localSecret = "demo"

// startLocalCarriers starts the simulator on free loopback ports; cfg may
// adjust its configuration (receipt delay, failure rate).
func startLocalCarriers(ctx context.Context, cfg func(*simulator.Config)) (*localCarriers, error) {
	sgip, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sc := simulator.Config{
		CMPP: simulator.ListenConfig{Addr: "127.0.0.1:0", Accounts: map[string]simulator.Account{"901234": {Secret: localSecret}}},
		SGIP: simulator.ListenConfig{Addr: "127.0.0.1:0", Accounts: map[string]simulator.Account{
			"sp12366": {Secret: localSecret, NodeID: 3010012366, DeliverAddr: sgip.Addr().String()}}},
		SMGP:         simulator.ListenConfig{Addr: "127.0.0.1:0", Accounts: map[string]simulator.Account{"10612366": {Secret: localSecret}}},
		ReceiptDelay: 20 * time.Millisecond,
		FailureRate:  0.02,
		Keep:         -1,
		Seed:         12366,
	}
	if cfg != nil {
		cfg(&sc)
	}
	sim, err := simulator.Start(ctx, sc)
	if err != nil {
		sgip.Close()
		return nil, err
	}
	lc := &localCarriers{Sim: sim, sgip: sgip}
	ext := map[string]string{string(taxsms.KindReply): "1", string(taxsms.KindFilingReminder): "2", string(taxsms.KindOverdueFiling): "3",
		string(taxsms.KindUnpaidTax): "4", string(taxsms.KindFailedDeduction): "5", string(taxsms.KindSpecial): "6"}
	link := func(name string, c taxsms.Carrier, p simulator.Protocol, account string) carrier.LinkConfig {
		return carrier.LinkConfig{Name: name, Carrier: c, Protocol: string(p), Address: sim.Addr(p), Account: account,
			Secret: localSecret, ServiceCode: "TAX12366", SourceNumber: "106353212366", Extensions: ext,
			Connections: 4, Window: 16, Enabled: true}
	}
	sgipLink := link("unicom-sgip", taxsms.CarrierUnicom, simulator.SGIP, "sp12366")
	sgipLink.ListenAddress, sgipLink.NodeID = sgip.Addr().String(), 3010012366
	lc.Links = []carrier.LinkConfig{
		link("mobile-cmpp", taxsms.CarrierMobile, simulator.CMPP, "901234"),
		sgipLink,
		link("telecom-smgp", taxsms.CarrierTelecom, simulator.SMGP, "10612366"),
	}
	lc.Options = carrier.Options{
		Routes: carrier.Routes{Failover: map[taxsms.Carrier][]taxsms.Carrier{taxsms.CarrierBroadnet: {taxsms.CarrierMobile}}},
		Listen: func(ctx context.Context, network, addr string) (net.Listener, error) {
			if addr == sgip.Addr().String() {
				return sgip, nil
			}
			return nil, fmt.Errorf("listen %s: only the simulator's SGIP address is served here", addr)
		},
	}
	return lc, nil
}

// Close stops the simulator.
func (lc *localCarriers) Close() error {
	lc.sgip.Close()
	return lc.Sim.Close()
}

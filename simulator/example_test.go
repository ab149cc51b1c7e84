package simulator_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"taxsms/protocol"
	"taxsms/protocol/cmpp"
	"taxsms/simulator"
)

// A CMPP 3.0 SP logs in to the simulator, submits one message asking for a
// status report, and receives the report and an MO message.
func Example() {
	ctx := context.Background()
	sim, err := simulator.Start(ctx, simulator.Config{
		CMPP: simulator.ListenConfig{
			Addr:     "127.0.0.1:0", // any free port; sim.Addr tells which
			Accounts: map[string]simulator.Account{"901234": {Secret: "demo"}},
		},
		ReceiptDelay: 10 * time.Millisecond,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()

	inbound := make(chan string, 2)
	c, err := cmpp.Dial(ctx, sim.Addr(simulator.CMPP), cmpp.ClientConfig{
		SourceAddr: "901234", Secret: "demo",
		OnDeliver: func(_ context.Context, d *cmpp.Deliver) error {
			if r, err := d.Receipt(); err == nil {
				inbound <- "report " + r.Stat
			} else {
				inbound <- fmt.Sprintf("MO from %s: %s", d.SrcTerminalID, d.Content)
			}
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	resp, err := c.Submit(ctx, &cmpp.Submit{
		PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1, MsgFmt: cmpp.FmtASCII,
		MsgSrc: "901234", SrcID: "106353212366", DestTerminalIDs: []string{"13800000000"},
		Content: []byte("Your VAT return is due on the 15th."),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("submitted, id matches the kept submit:", protocol.NormalizeID(resp.MsgID.String()) == sim.Submits()[0].MsgID)
	fmt.Println(<-inbound)

	err = sim.InjectMO(ctx, simulator.MO{Protocol: simulator.CMPP, From: "13800000000", To: "106353212366", Text: "FP 1234"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-inbound)
	st := sim.Stats()[simulator.CMPP]["901234"]
	fmt.Printf("submits %d, segments %d, MO %d\n", st.Submits, st.Segments, st.MO)
	// Output:
	// submitted, id matches the kept submit: true
	// report DELIVRD
	// MO from 13800000000: FP 1234
	// submits 1, segments 1, MO 1
}

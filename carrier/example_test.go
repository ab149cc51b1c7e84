package carrier_test

import (
	"context"
	"fmt"
	"time"

	"taxsms"
	"taxsms/carrier"
	"taxsms/simulator"
)

// printer is a Handler that prints what the gateway sends.
type printer struct{ receipts chan carrier.Receipt }

func (p printer) HandleReceipt(_ context.Context, r carrier.Receipt) error {
	p.receipts <- r
	return nil
}

func (p printer) HandleMO(_ context.Context, f carrier.Fragment) error {
	fmt.Printf("MO from %s to %s: %s\n", taxsms.MaskMobile(f.From), f.To, f.Text)
	return nil
}

// Example opens a CMPP link to the carrier simulator, sends a long message
// and matches its receipts to the parts.
func Example() {
	ctx := context.Background()
	sim, err := simulator.Start(ctx, simulator.Config{
		CMPP:         simulator.ListenConfig{Addr: "127.0.0.1:0", Accounts: map[string]simulator.Account{"901234": {Secret: "demo"}}},
		ReceiptDelay: time.Millisecond,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sim.Close()

	h := printer{receipts: make(chan carrier.Receipt, 4)}
	rt, err := carrier.Open(ctx, []carrier.LinkConfig{{
		Name: "mobile-1", Carrier: taxsms.CarrierMobile, Protocol: "cmpp", Version: "3.0",
		Address: sim.Addr(simulator.CMPP), Account: "901234", Secret: "demo",
		ServiceCode: "TAX12366", SourceNumber: "106353212366", Extensions: map[string]string{"reply": "1"},
		Connections: 2, Window: 16, MessagesPerSecond: 100, Enabled: true,
	}}, h, carrier.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close(ctx)
	if err := rt.Ready(ctx); err != nil {
		fmt.Println(err)
		return
	}

	text := "【12366】尊敬的纳税人：您本月的增值税申报期限为15日，逾期未申报将按规定加收滞纳金并可能影响纳税信用等级，请及时办理。如有疑问请回复或致电12366。"
	res, err := rt.Send(ctx, carrier.Message{ID: 7, Mobile: "13800138000", Text: text, Kind: taxsms.KindFilingReminder})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("sent on %s (%s), %s, %d parts\n", res.Link, res.Carrier, res.Coding, len(res.Parts))
	ids := make(map[string]int)
	for _, p := range res.Parts {
		ids[p.MsgID] = p.Seq
	}
	delivered := make([]bool, len(res.Parts))
	for range res.Parts {
		r := <-h.receipts
		delivered[ids[r.MsgID]-1] = r.Delivered()
	}
	fmt.Println("delivered:", delivered)
	sim.InjectMO(ctx, simulator.MO{Protocol: simulator.CMPP, From: "13800138000", To: "1063532123661", Text: "TD"})
	hl := rt.Health()[0]
	fmt.Printf("%d message, %d segments, %d MO\n", hl.Submits, hl.Segments, hl.MO)
	// Output:
	// sent on mobile-1 (mobile), ucs2, 2 parts
	// delivered: [true true]
	// MO from 138****8000 to 1063532123661: TD
	// 1 message, 2 segments, 1 MO
}

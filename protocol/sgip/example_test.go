package sgip_test

import (
	"context"
	"fmt"
	"time"

	"taxsms/protocol/sgip"
)

// Example runs both directions of SGIP on loopback: our SP submits to a
// gateway, and the gateway dials the SP's own listener to report.
func Example() {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2024, 2, 3, 15, 30, 0, 0, time.UTC) }

	// The SP's listener, where the SMG delivers MO messages and reports.
	sp, err := sgip.Listen("127.0.0.1:0", sgip.ServerConfig{
		Authenticate: sgip.Accounts(sgip.LoginSMGToSP, map[string]string{"unicom": "smg-secret"}),
		OnReport: func(_ context.Context, r *sgip.Report) error {
			rc := r.Receipt()
			fmt.Println("receipt:", rc.MsgID, rc.Stat, rc.Err)
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	defer sp.Close()

	// A gateway accepting our submits.
	submitted := make(chan *sgip.Submit, 1)
	gw, err := sgip.Listen("127.0.0.1:0", sgip.ServerConfig{
		Authenticate: sgip.Accounts(sgip.LoginSPToSMG, map[string]string{"sp12345": "sp-secret"}),
		OnSubmit: func(_ context.Context, c *sgip.Conn, p *sgip.Submit) error {
			fmt.Printf("gateway: %s sends %q to %v\n", c.Bind().LoginName, p.Content, p.UserNumbers)
			submitted <- p
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	defer gw.Close()

	// Our side: bind and submit.
	node, _ := sgip.NodeID("053", "12345")
	c, err := sgip.Dial(ctx, gw.Addr().String(), sgip.ClientConfig{
		LoginName: "sp12345", LoginPassword: "sp-secret", NodeID: node, Now: now,
	})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	resp, err := c.Submit(ctx, &sgip.Submit{
		SPNumber:    "12366",
		UserNumbers: []string{"8613012345678"},
		CorpID:      "12345",
		Content:     []byte("Tax due 15 Feb"),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("submitted:", resp.MsgID())

	// The gateway dials the SP's listener and reports.
	p := <-submitted
	push := sgip.NewClient(sp.Addr().String(), sgip.ClientConfig{
		LoginType: sgip.LoginSMGToSP, LoginName: "unicom", LoginPassword: "smg-secret", NodeID: 1053000001,
	})
	defer push.Close()
	if _, err := push.Report(ctx, &sgip.Report{SubmitSeq: p.Seq, UserNumber: p.UserNumbers[0], State: sgip.StateDelivered}); err != nil {
		panic(err)
	}
	// Output:
	// gateway: sp12345 sends "Tax due 15 Feb" to [8613012345678]
	// submitted: 3053012345-0203153000-1
	// receipt: 3053012345-0203153000-1 DELIVRD 000
}

package smgp_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"taxsms/protocol/smgp"
)

// A gateway and an SP over loopback: the SP logs in, submits a message, and
// the gateway answers with a MsgID and later pushes its status report, which
// the SP turns into a protocol.Receipt matched by the MsgID.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, _ := net.Listen("tcp", "127.0.0.1:0")

	now := func() time.Time { return time.Date(2024, 1, 16, 17, 0, 0, 0, time.UTC) }
	ids, _ := smgp.NewMsgIDGenerator("010061", now)
	gateways := make(chan *smgp.Conn, 1)
	go smgp.Serve(ctx, l, smgp.ServerConfig{ // ends when ctx is cancelled
		Authenticate: func(_ context.Context, login *smgp.Login, _ net.Addr) (string, smgp.Status) {
			if login.ClientID != "901234" {
				return "", smgp.StatusAuthFailed
			}
			return "secret", smgp.StatusOK
		},
		MsgIDs:  ids,
		OnLogin: func(c *smgp.Conn) { gateways <- c },
	})

	receipts := make(chan string, 1)
	sp, err := smgp.Dial(ctx, l.Addr().String(), smgp.ClientConfig{
		ClientID: "901234", Secret: "secret", LoginMode: smgp.ModeTransmit,
		OnDeliver: func(_ context.Context, d *smgp.Deliver) error {
			if r, err := d.Receipt(); err == nil {
				receipts <- fmt.Sprintf("receipt %s %s for %s", r.MsgID, r.Stat, r.Dest)
			}
			return nil // acknowledged only once stored
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sp.Close()

	resp, err := sp.Submit(ctx, &smgp.Submit{
		MsgType: smgp.MsgTypeMT, NeedReport: true, ServiceID: "12366", FeeType: "00",
		MsgFormat: smgp.FormatASCII, SrcTermID: "1065912366",
		DestTermIDs: []string{"13800138000"}, MsgContent: []byte("Your tax refund was paid."),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("submitted as", resp.MsgID)

	gw := <-gateways
	report := smgp.NewReport(resp.MsgID, "DELIVRD", "000", now(), now())
	gw.Deliver(ctx, &smgp.Deliver{IsReport: true, SrcTermID: "13800138000", DestTermID: "1065912366",
		MsgContent: report.AppendMarshal(nil)})
	fmt.Println(<-receipts)
	// Output:
	// submitted as 01006101161700000000
	// receipt 01006101161700000000 DELIVRD for 13800138000
}

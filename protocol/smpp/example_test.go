package smpp_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"taxsms/protocol/smpp"
)

// Example binds our client to an in-process gateway, submits a message, and
// matches the delivery receipt the gateway sends to the submit.
func Example() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- smpp.Serve(ctx, l, smpp.ServerConfig{
			SystemID: "SMSC",
			OnSubmit: func(_ context.Context, c *smpp.Conn, s *smpp.Submit) (string, smpp.Status) {
				go func() { // report after the submit_sm_resp
					at := time.Date(2024, 3, 5, 9, 41, 0, 0, time.UTC)
					c.Deliver(context.Background(), smpp.ReceiptDeliver(s, "0000A1B2", smpp.StateDelivered, "000", at, at))
				}()
				return "a1b2", smpp.StatusOK
			},
		})
	}()
	defer func() { cancel(); <-served }()

	receipts := make(chan *smpp.Deliver, 1)
	c, err := smpp.Dial(ctx, l.Addr().String(), smpp.ClientConfig{
		SystemID: "taxsms", Password: "secret",
		OnDeliver: func(_ context.Context, d *smpp.Deliver) error {
			receipts <- d // a real handler stores it before returning
			return nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	resp, err := c.Submit(ctx, &smpp.Submit{SM: smpp.SM{
		Source: "12366", Dest: "13800138000", RegisteredDelivery: 1, Message: []byte("Your return is due."),
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	// This SMSC prints its hex ids with and without leading zeros.
	dialect := smpp.Dialect{RespID: smpp.IDHex, ReceiptedID: smpp.IDHex, TextID: smpp.IDHex}
	fmt.Println("submitted:", dialect.MsgID(resp))
	r, err := dialect.Receipt(<-receipts)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("receipt:", r.MsgID, r.Stat, r.Dest, r.Delivered())
	// Output:
	// submitted: A1B2
	// receipt: A1B2 DELIVRD 13800138000 true
}

// ExampleDialect_Receipt reads a receipt whose text prints the id in decimal
// while submit_sm_resp gave it in hex.
func ExampleDialect_Receipt() {
	d := &smpp.Deliver{SM: smpp.SM{
		Source:   "13800138000",
		ESMClass: smpp.ESMClassReceipt,
		Message:  []byte("id:0059113978 sub:001 dlvrd:001 submit date:1002101730 done date:1002101731 stat:DELIVRD err:000 text:"),
	}}
	dialect := smpp.Dialect{TextID: smpp.IDDecimal}
	r, err := dialect.Receipt(d)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.MsgID == dialect.MsgID(&smpp.SubmitResp{MessageID: "38601fa"}), r.Stat, r.Done.Format(time.DateTime))
	// Output: true DELIVRD 2010-02-10 17:31:00
}

package dispatch_test

import (
	"context"
	"fmt"
	"time"

	"taxsms"
	"taxsms/carrier"
	"taxsms/dispatch"
	"taxsms/pii"
	"taxsms/store"
)

// gateway accepts every message and reports it delivered at once.
type gateway struct{ d *dispatch.Dispatcher }

func (g *gateway) Send(ctx context.Context, m carrier.Message) (carrier.Result, error) {
	id := fmt.Sprintf("G%d", m.ID)
	go g.d.HandleReceipt(context.Background(), carrier.Receipt{Carrier: taxsms.CarrierMobile, MsgID: id, Stat: "DELIVRD"})
	return carrier.Result{Carrier: taxsms.CarrierMobile, Link: "example", Coding: taxsms.CodingUCS2,
		Parts: []carrier.Part{{Seq: 1, MsgID: id}}}, nil
}

func Example() {
	ctx := context.Background()
	key := make([]byte, pii.KeySize)
	box, _ := pii.New(map[byte][]byte{1: key}, key)
	db, _ := store.Open(ctx, ":memory:", box)
	defer db.Close()

	d := &dispatch.Dispatcher{DB: db, Config: dispatch.Config{Node: "example", Poll: 10 * time.Millisecond}}
	d.Sender = &gateway{d}
	if err := d.Open(ctx); err != nil {
		panic(err)
	}
	defer d.Close(ctx)

	m := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindReply, Mobile: "13800138000", Body: "【12366】您的税收管理员是王芳。", Segments: 1}
	db.CreateMessage(ctx, m)
	d.Notify()
	for {
		got, _ := db.FindMessage(ctx, m.ID)
		if got.Status == taxsms.StatusDelivered {
			fmt.Println(got.Status, got.Link, got.Parts[0].CarrierMsgID)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Output: delivered example G1
}

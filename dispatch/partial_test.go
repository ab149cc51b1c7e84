package dispatch_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"taxsms"
	"taxsms/carrier"
	"taxsms/dispatch"
	"taxsms/store/storetest"
)

// halfSender answers as links that fail half way through a message do.
type halfSender struct{}

func (halfSender) Send(ctx context.Context, m carrier.Message) (carrier.Result, error) {
	part := func(id string) []carrier.Part { return []carrier.Part{{Seq: 1, MsgID: id}} }
	switch m.Text {
	case "refused": // the carrier took the first segment and refused the second
		return carrier.Result{Carrier: taxsms.CarrierMobile, Link: "cmpp", Parts: part("R1")},
			&carrier.SubmitError{Link: "cmpp", Code: 1, Text: "invalid destination"}
	case "failover": // China Mobile's link took one segment and went down; China Telecom's took both
		return carrier.Result{Carrier: taxsms.CarrierTelecom, Link: "smgp",
			Parts:     []carrier.Part{{Seq: 1, MsgID: "T1"}, {Seq: 2, MsgID: "T2"}},
			Abandoned: []carrier.Result{{Carrier: taxsms.CarrierMobile, Link: "cmpp", Parts: part("F1")}}}, nil
	}
	return carrier.Result{}, fmt.Errorf("unexpected %q", m.Text)
}

// TestDispatcher_PartialSends checks that the segments a carrier accepted
// of a message it did not send whole are billed: by the carrier that took
// them, as segments without a message.
func TestDispatcher_PartialSends(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	now := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	ctx := context.Background()
	root := &taxsms.Office{Code: "13702000000", Name: "青岛市税务局"}
	if err := db.CreateOffice(ctx, root); err != nil {
		t.Fatal(err)
	}
	d := &dispatch.Dispatcher{DB: db, Sender: halfSender{}, Config: dispatch.Config{Node: "t", Poll: 5 * time.Millisecond, Sweep: time.Hour}}
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	ids := make(map[string]int64)
	for _, body := range []string{"refused", "failover"} {
		m := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindSpecial, Priority: taxsms.PriorityBulk, Mobile: "13800138000", Body: body, Segments: 2}
		if err := db.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids[body] = m.ID
	}
	d.Notify()
	for body, want := range map[string]taxsms.Status{"refused": taxsms.StatusFailed, "failover": taxsms.StatusSubmitted} {
		waitFor(t, body+" settled", func() bool {
			m, err := db.FindMessage(ctx, ids[body])
			return err == nil && m.Status == want
		})
	}
	st, err := db.Statement(ctx, taxsms.Month{Year: 2026, Month: 11}, root.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range st.Lines {
		got = append(got, fmt.Sprintf("%s %d/%d", l.Carrier, l.Messages, l.Segments))
	}
	// China Mobile: R1 and F1, no message; China Telecom: the message, 2 segments.
	if want := "[mobile 0/2 telecom 1/2]"; fmt.Sprint(got) != want {
		t.Errorf("statement lines (carrier messages/segments) = %v, want %s", got, want)
	}
}

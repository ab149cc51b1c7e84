package carrier_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/carrier"
	"taxsms/simulator"
)

var protocols = []simulator.Protocol{simulator.CMPP, simulator.SGIP, simulator.SMGP, simulator.SMPP}

// numberOf returns a number routed to the link of protocol p in the rig.
func numberOf(p simulator.Protocol) string {
	switch p {
	case simulator.SGIP:
		return unicomNumber
	case simulator.SMGP:
		return telecomNumber
	}
	return mobileNumber
}

func TestLink_Send(t *testing.T) {
	long := strings.Repeat("您好，您有一笔税款尚未缴纳，请及时处理。", 8) // 160 characters: 3 UCS-2 segments
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			r := startRig(t, testSimConfig())
			h := newRecorder()
			rt := openRouter(t, r, h, r.options(nil), r.link(p, "l-"+string(p)))
			for _, tc := range []struct {
				name  string
				text  string
				parts int
			}{
				{"Short", "【12366】您的增值税申报期限为本月15日。", 1},
				{"Long", long, 3},
			} {
				t.Run(tc.name, func(t *testing.T) {
					res, err := rt.Send(ctxT(t), carrier.Message{ID: 1, Mobile: numberOf(p), Text: tc.text, Kind: taxsms.KindReply})
					if err != nil {
						t.Fatalf("Send: %v", err)
					}
					if len(res.Parts) != tc.parts {
						t.Fatalf("Parts = %d, want %d", len(res.Parts), tc.parts)
					}
					if res.Coding != taxsms.CodingUCS2 || res.Link != "l-"+string(p) {
						t.Errorf("Result = %+v, want UCS-2 on l-%s", res, p)
					}
					ids := make([]string, len(res.Parts))
					for i, part := range res.Parts {
						if part.Seq != i+1 || part.MsgID == "" {
							t.Errorf("Parts[%d] = %+v", i, part)
						}
						ids[i] = part.MsgID
					}
					got := h.waitReceipts(t, ids)
					for _, id := range ids {
						rc := got[id]
						if rc.Link != "l-"+string(p) || rc.Stat == "" {
							t.Errorf("receipt %s = %+v", id, rc)
						}
					}
					// The simulator saw the ids we hold, sent from the
					// reply extension.
					seen := make(map[string]simulator.Submit)
					for _, s := range r.sim.Submits() {
						seen[s.MsgID] = s
					}
					for i, id := range ids {
						s, ok := seen[id]
						if !ok {
							t.Fatalf("simulator has no submit %s", id)
						}
						if s.Src != "106353211" || s.Total != tc.parts || s.Seq != i+1 {
							t.Errorf("simulator submit %s: Src %q, %d/%d, want 106353211, %d/%d", id, s.Src, s.Seq, s.Total, i+1, tc.parts)
						}
					}
				})
			}
		})
	}
}

func TestLink_SMPPCodings(t *testing.T) {
	r := startRig(t, testSimConfig())
	for _, tc := range []struct {
		concat string
		text   string
		coding taxsms.Coding
		parts  int
	}{
		{"", "Your VAT return is due on the 15th.", taxsms.CodingGSM7, 1},
		{"", strings.Repeat("0123456789", 20), taxsms.CodingGSM7, 2},
		{carrier.ConcatSAR, strings.Repeat("税", 100), taxsms.CodingUCS2, 2},
		{carrier.ConcatPayload, strings.Repeat("税", 100), taxsms.CodingUCS2, 1},
	} {
		t.Run(tc.concat+"-"+string(tc.coding), func(t *testing.T) {
			h := newRecorder()
			cfg := r.link(simulator.SMPP, "smpp-"+tc.concat)
			cfg.SMPPConcat = tc.concat
			rt := openRouter(t, r, h, r.options(nil), cfg)
			res, err := rt.Send(ctxT(t), carrier.Message{Mobile: mobileNumber, Text: tc.text})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if res.Coding != tc.coding || len(res.Parts) != tc.parts {
				t.Fatalf("Coding %s, %d parts; want %s, %d", res.Coding, len(res.Parts), tc.coding, tc.parts)
			}
			ids := []string{}
			for _, p := range res.Parts {
				ids = append(ids, p.MsgID)
			}
			h.waitReceipts(t, ids)
		})
	}
}

func TestLink_MO(t *testing.T) {
	long := strings.Repeat("请问我的个税汇算清缴怎么办理？", 6) // 90 characters: 2 segments
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			r := startRig(t, testSimConfig())
			h := newRecorder()
			openRouter(t, r, h, r.options(nil), r.link(p, "mo-"+string(p)))
			from := numberOf(p)
			if err := r.sim.InjectMO(ctxT(t), simulator.MO{Protocol: p, From: "86" + from, To: "106353211", Text: "FP 1234"}); err != nil {
				t.Fatalf("InjectMO short: %v", err)
			}
			if err := r.sim.InjectMO(ctxT(t), simulator.MO{Protocol: p, From: from, To: "106353212", Text: long, Coding: "ucs2"}); err != nil {
				t.Fatalf("InjectMO long: %v", err)
			}
			fs := h.frags()
			if len(fs) != 3 {
				t.Fatalf("got %d fragments, want 3: %+v", len(fs), fs)
			}
			f := fs[0]
			if f.From != from || f.To != "106353211" || f.Text != "FP 1234" || f.Total != 1 || f.Seq != 1 || f.Link != "mo-"+string(p) {
				t.Errorf("short MO = %+v", f)
			}
			// Fragments are handled concurrently: they may come in any order.
			slices.SortFunc(fs[1:], func(a, b carrier.Fragment) int { return a.Seq - b.Seq })
			var text strings.Builder
			for i, f := range fs[1:] {
				if f.Total != 2 || f.Seq != i+1 || f.Ref != fs[1].Ref || f.From != from {
					t.Errorf("fragment %d = %+v, want %d/2", i, f, i+1)
				}
				text.WriteString(f.Text)
			}
			if text.String() != long {
				t.Errorf("long MO text = %q, want %q", text.String(), long)
			}
		})
	}
}

func TestLink_HandlerError(t *testing.T) {
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			r := startRig(t, testSimConfig())
			h := newRecorder()
			h.failMO = 2
			rt := openRouter(t, r, h, r.options(nil), r.link(p, "h-"+string(p)))
			if err := r.sim.InjectMO(ctxT(t), simulator.MO{Protocol: p, From: numberOf(p), To: "10635321", Text: "TD"}); err != nil {
				t.Fatalf("InjectMO: %v", err)
			}
			if fs := h.frags(); len(fs) != 1 || fs[0].Text != "TD" {
				t.Fatalf("fragments = %+v, want the one MO once", fs)
			}
			st := r.sim.Stats().Total(p)
			if st.DeliverErrors < 2 || st.MO != 1 {
				t.Errorf("simulator DeliverErrors %d, MO %d; want at least 2 refused tries and 1 MO", st.DeliverErrors, st.MO)
			}
			if hl := rt.Health()[0]; hl.HandlerErrors != 2 || hl.MO != 1 {
				t.Errorf("Health HandlerErrors %d, MO %d; want 2, 1", hl.HandlerErrors, hl.MO)
			}
		})
	}
}

func TestLink_Throttled(t *testing.T) {
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			r := startRig(t, testSimConfig())
			rt := openRouter(t, r, newRecorder(), r.options(nil), r.link(p, "t-"+string(p)))
			r.sim.SetFault(p, simulator.Fault{Throttle: 1})
			_, err := rt.Send(ctxT(t), carrier.Message{Mobile: numberOf(p), Text: "测试"})
			if !errors.Is(err, carrier.ErrThrottled) {
				t.Fatalf("Send error = %v, want ErrThrottled", err)
			}
			if _, err := rt.Send(ctxT(t), carrier.Message{Mobile: numberOf(p), Text: "测试"}); err != nil {
				t.Fatalf("Send after the throttle: %v", err)
			}
			if h := rt.Health()[0]; h.Throttled != 1 || h.Submits != 1 {
				t.Errorf("Health Throttled %d, Submits %d; want 1, 1", h.Throttled, h.Submits)
			}
		})
	}
}

func TestLink_Redial(t *testing.T) {
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			r := startRig(t, testSimConfig())
			rt := openRouter(t, r, newRecorder(), r.options(nil), r.link(p, "d-"+string(p)))
			waitFor(t, "the simulator to see the link", func() bool { return r.sim.Stats().Total(p).Active == 1 })
			if n := r.sim.Drop(p, ""); n != 1 {
				t.Fatalf("Drop closed %d links, want 1", n)
			}
			waitFor(t, "the drop to be seen", func() bool { return rt.Health()[0].Drops == 1 })
			if err := rt.Ready(ctxT(t)); err != nil {
				t.Fatal(err)
			}
			if _, err := rt.Send(ctxT(t), carrier.Message{Mobile: numberOf(p), Text: "测试"}); err != nil {
				t.Fatalf("Send after redial: %v", err)
			}
		})
	}
}

func TestLink_Unavailable(t *testing.T) {
	r := startRig(t, testSimConfig())
	cfg := r.link(simulator.CMPP, "down")
	cfg.Connections = 2
	rt := openRouter(t, r, newRecorder(), r.options(nil), cfg)
	r.sim.Close()
	waitFor(t, "every session down", func() bool { return rt.Health()[0].Connected == 0 })
	_, err := rt.Send(ctxT(t), carrier.Message{Mobile: mobileNumber, Text: "测试"})
	if !errors.Is(err, carrier.ErrUnavailable) {
		t.Fatalf("Send error = %v, want ErrUnavailable", err)
	}
}

func TestLink_Refused(t *testing.T) {
	r := startRig(t, testSimConfig())
	rt := openRouter(t, r, newRecorder(), r.options(nil), r.link(simulator.CMPP, "x"))
	_, err := rt.Send(ctxT(t), carrier.Message{Mobile: "1380013800", Text: "测试"})
	if taxsms.ErrorCode(err) != taxsms.EINVALID {
		t.Errorf("Send to a short number: %v, want EINVALID", err)
	}
	_, err = rt.Send(ctxT(t), carrier.Message{Mobile: mobileNumber, Text: strings.Repeat("税", 67*256)})
	if taxsms.ErrorCode(err) != taxsms.EINVALID || taxsms.ErrorField(err) != "text" {
		t.Errorf("Send of a too long text: %v, want EINVALID text", err)
	}
}

func TestLink_Close(t *testing.T) {
	r := startRig(t, testSimConfig())
	cfg := r.link(simulator.SMGP, "c")
	cfg.Connections = 2
	rt, err := carrier.Open(ctxT(t), []carrier.LinkConfig{cfg}, newRecorder(), r.options(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Ready(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both sessions", func() bool { return r.sim.Stats().Total(simulator.SMGP).Active == 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rt.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitFor(t, "the simulator to see the logouts", func() bool { return r.sim.Stats().Total(simulator.SMGP).Active == 0 })
	if _, err := rt.Send(ctxT(t), carrier.Message{Mobile: telecomNumber, Text: "x"}); !errors.Is(err, carrier.ErrUnavailable) {
		t.Errorf("Send after Close: %v, want ErrUnavailable", err)
	}
}

func TestLink_TimeoutTriesAnotherSession(t *testing.T) {
	r := startRig(t, testSimConfig())
	cfg := r.link(simulator.CMPP, "timeout")
	cfg.Connections, cfg.ResponseTimeout = 2, 200*time.Millisecond
	opts := r.options(nil)
	opts.Resends = -1
	rt := openRouter(t, r, newRecorder(), opts, cfg)
	waitFor(t, "both sessions", func() bool { return rt.Health()[0].Connected == 2 })
	r.sim.SetFault(simulator.CMPP, simulator.Fault{NoResponse: 1})
	res, err := rt.Send(ctxT(t), carrier.Message{Mobile: mobileNumber, Text: "测试"})
	if err != nil || len(res.Parts) != 1 {
		t.Fatalf("Send = %+v, %v; want one part from the other session", res, err)
	}
	if h := rt.Health()[0]; h.Errors != 1 || !strings.Contains(h.LastError, "submit") {
		t.Errorf("Health Errors %d, LastError %q; want the timeout counted", h.Errors, h.LastError)
	}
}

func TestLink_Signature(t *testing.T) {
	r := startRig(t, testSimConfig())
	cfg := r.link(simulator.CMPP, "sig")
	cfg.Signature = "【12366】"
	rt := openRouter(t, r, newRecorder(), r.options(nil), cfg)
	body := strings.Repeat("税", 66)
	res, err := rt.Send(ctxT(t), carrier.Message{Mobile: mobileNumber, Text: "【12366】" + body})
	if err != nil {
		t.Fatal(err)
	}
	// 66 characters and the carrier's 7 do not fit one message of 70.
	if len(res.Parts) != 2 {
		t.Fatalf("Parts = %d, want 2", len(res.Parts))
	}
	var text strings.Builder
	for _, s := range r.sim.Submits() {
		text.WriteString(s.Text())
	}
	if text.String() != body {
		t.Errorf("sent %q, want the text without the carrier's signature", text.String())
	}
}

package simulator

import (
	"context"

	"taxsms/protocol/cmpp"
	"taxsms/protocol/sms"
)

func (ss *session) loginCMPP(ctx context.Context) (link, func(context.Context, *item) error, error) {
	sim := ss.srv.sim
	cfg := cmpp.ServerConfig{
		Version: sim.cfg.CMPPVersion,
		Authenticate: func(_ context.Context, src string) (string, uint32) {
			ss.name = src
			a := ss.srv.accounts[src]
			if a == nil {
				return "", cmpp.StatusBadSource
			}
			if !a.reserve() {
				return "", cmpp.StatusOther
			}
			ss.acct = a
			return a.cfg.Secret, cmpp.StatusOK
		},
		OnSubmit:        ss.submitCMPP,
		Workers:         2,
		MsgIDs:          sim.cmppIDs,
		Window:          sim.cfg.DeliverWindow,
		ResponseTimeout: sim.cfg.ResponseTimeout,
		MaxTries:        1,
		CloseTimeout:    sim.cfg.CloseTimeout,
		Now:             sim.cfg.Now,
		Logger:          sim.cfg.Logger,
	}
	c, err := cmpp.Accept(ctx, ss.wc, cfg)
	if err != nil {
		return nil, nil, err
	}
	push := func(ctx context.Context, it *item) error {
		_, err := c.Deliver(ctx, it.pdu.(*cmpp.Deliver))
		return err
	}
	return c, push, nil
}

func (ss *session) submitCMPP(ctx context.Context, c *cmpp.Conn, s *cmpp.Submit) (cmpp.MsgID, uint32, error) {
	sim := ss.srv.sim
	switch ss.admit(ctx, key32(s.Seq)) {
	case dropped:
		return 0, 0, errDropped
	case throttle:
		return 0, cmpp.ResultThrottled, nil
	}
	id := sim.cmppIDs.Next()
	sg := segment{
		msgID: id.String(), src: s.SrcID, dests: s.DestTerminalIDs,
		coding: sms.FromMsgFmt(s.MsgFmt), udhi: s.HasUDH(), content: s.Content,
		pkTotal: int(s.PkTotal), pkNumber: int(s.PkNumber),
		report: s.RegisteredDelivery == 1,
	}
	ss.accepted(&sg)
	if sg.report {
		submitted := sim.cfg.Now().In(chinaTime)
		done := submitted.Add(sim.cfg.ReceiptDelay)
		for _, dest := range s.DestTerminalIDs {
			f, failed := sim.outcome()
			r := cmpp.Report{
				MsgID: id, Stat: f.Stat,
				SubmitTime: submitted.Format("0601021504"), DoneTime: done.Format("0601021504"),
				DestTerminalID: dest, SMSCSequence: uint32(id.Seq()), Wide: sim.cfg.CMPPWideReport,
			}
			d := cmpp.NewReportDeliver(c.Version(), s.SrcID, r)
			sim.schedule(ss.acct, &item{pdu: d, fail: failed}, sim.cfg.ReceiptDelay)
		}
	}
	return id, cmpp.ResultOK, nil
}

// moCMPP builds the DELIVERs of an MO message.
func moCMPP(mo *MO, segs []sms.Segment, c sms.Coding) []any {
	f, _ := c.MsgFmt()
	out := make([]any, len(segs))
	for i := range segs {
		d := &cmpp.Deliver{
			DestID: mo.To, SrcTerminalID: mo.From, MsgFmt: f,
			Content: segs[i].AppendContent(nil),
		}
		if segs[i].UDH != nil {
			d.TPUDHI = 1
		}
		out[i] = d
	}
	return out
}

package simulator

import (
	"context"
	"strconv"

	"taxsms/protocol/sgip"
	"taxsms/protocol/sms"
)

func (ss *session) loginSGIP(ctx context.Context) (link, func(context.Context, *item) error, error) {
	sim := ss.srv.sim
	cfg := sgip.ServerConfig{
		Authenticate: func(_ context.Context, b *sgip.Bind) uint8 {
			ss.name = b.LoginName
			a := ss.srv.accounts[b.LoginName]
			switch {
			case a == nil || a.cfg.Secret != b.LoginPassword:
				return sgip.ResultIllegalLogin
			case b.LoginType != sgip.LoginSPToSMG:
				return sgip.ResultBadLoginType
			case !a.reserve():
				return sgip.ResultTooManyConns
			}
			ss.acct = a
			return sgip.ResultOK
		},
		OnSubmit:     ss.submitSGIP,
		Window:       max(sim.cfg.Window, 32),
		CloseTimeout: sim.cfg.CloseTimeout,
	}
	c, err := sgip.NewServerConn(ctx, ss.wc, cfg)
	if err != nil {
		return nil, nil, err
	}
	return c, nil, nil // MO and reports go over the link the simulator dials
}

func (ss *session) submitSGIP(ctx context.Context, _ *sgip.Conn, s *sgip.Submit) error {
	sim := ss.srv.sim
	k := keySGIP(s.Seq.Node, s.Seq.Time, s.Seq.Number)
	if n := ss.acct.cfg.NodeID; n != 0 && s.Seq.Node != n {
		ss.acct.c.submits.Add(1)
		return &sgip.StatusError{Command: sgip.CmdSubmitResp, Result: sgip.ResultBadSequence}
	}
	switch ss.admit(ctx, k) {
	case dropped:
		return errDropped
	case throttle:
		return &sgip.StatusError{Command: sgip.CmdSubmitResp, Result: sim.cfg.SGIPThrottle}
	}
	sg := segment{
		msgID: s.Seq.MsgID(), src: s.SPNumber, dests: s.UserNumbers,
		coding: sms.FromMsgFmt(s.MessageCoding), udhi: s.TPUDHI != 0, content: s.Content,
		report: s.ReportFlag == sgip.ReportAlways || s.ReportFlag == sgip.ReportOnError,
	}
	ss.accepted(&sg)
	if sg.report {
		for _, user := range s.UserNumbers {
			f, failed := sim.outcome()
			if !failed && s.ReportFlag == sgip.ReportOnError {
				continue
			}
			r := &sgip.Report{SubmitSeq: s.Seq, UserNumber: user, State: sgip.StateDelivered}
			if failed {
				r.State = sgip.StateFailed
				if n, err := strconv.ParseUint(f.Err, 10, 8); err == nil && n > 0 {
					r.ErrorCode = uint8(n)
				} else {
					r.ErrorCode = 1
				}
			}
			sim.schedule(ss.acct, &item{pdu: r, fail: failed}, sim.cfg.ReceiptDelay)
		}
	}
	return nil
}

// moSGIP builds the Delivers of an MO message.
func moSGIP(mo *MO, segs []sms.Segment, c sms.Coding) []any {
	f, _ := c.MsgFmt()
	out := make([]any, len(segs))
	for i := range segs {
		d := &sgip.Deliver{
			UserNumber: mo.From, SPNumber: mo.To, MessageCoding: f,
			Content: segs[i].AppendContent(nil),
		}
		if segs[i].UDH != nil {
			d.TPUDHI = 1
		}
		out[i] = d
	}
	return out
}

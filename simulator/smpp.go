package simulator

import (
	"context"
	"strconv"

	"taxsms/protocol"
	"taxsms/protocol/smpp"
	"taxsms/protocol/sms"
)

func (ss *session) loginSMPP(ctx context.Context) (link, func(context.Context, *item) error, error) {
	sim := ss.srv.sim
	cfg := smpp.ServerConfig{
		Timing: smpp.Timing{
			Window:          max(sim.cfg.DeliverWindow, sim.cfg.Window, 16),
			ResponseTimeout: sim.cfg.ResponseTimeout,
			Resends:         -1,
			CloseTimeout:    sim.cfg.CloseTimeout,
		},
		SystemID: "taxsms-sim",
		Authenticate: func(_ context.Context, b *smpp.Bind) smpp.Status {
			ss.name = b.SystemID
			a := ss.srv.accounts[b.SystemID]
			switch {
			case a == nil:
				return smpp.StatusInvSystemID
			case a.cfg.Secret != b.Password:
				return smpp.StatusInvPassword
			case !a.reserve():
				return smpp.StatusBindFail
			}
			ss.acct = a
			return smpp.StatusOK
		},
		OnSubmit: ss.submitSMPP,
	}
	c, err := smpp.NewServerConn(ctx, ss.wc, cfg)
	if err != nil {
		return nil, nil, err
	}
	if c.BindCommand() == smpp.CmdBindTransmitter {
		return c, nil, nil
	}
	push := func(ctx context.Context, it *item) error {
		_, err := c.Deliver(ctx, it.pdu.(*smpp.Deliver))
		return err
	}
	return c, push, nil
}

// smppStates maps report status words to message_state.
func smppState(stat string) smpp.MessageState {
	switch stat {
	case "DELIVRD":
		return smpp.StateDelivered
	case "EXPIRED":
		return smpp.StateExpired
	case "DELETED":
		return smpp.StateDeleted
	case "ACCEPTD":
		return smpp.StateAccepted
	case "REJECTD":
		return smpp.StateRejected
	case "UNKNOWN":
		return smpp.StateUnknown
	}
	return smpp.StateUndeliverable
}

func (ss *session) submitSMPP(ctx context.Context, _ *smpp.Conn, s *smpp.Submit) (string, smpp.Status) {
	sim := ss.srv.sim
	switch ss.admit(ctx, key32(s.Seq)) {
	case dropped:
		return "", smpp.StatusSysErr // the link is closed; nobody reads it
	case throttle:
		return "", smpp.StatusThrottled
	}
	id := strconv.FormatUint(sim.smppIDs.Add(1), 10)
	content := s.Message
	if len(content) == 0 && s.Payload != nil {
		content = s.Payload
	}
	sg := segment{
		msgID: protocol.NormalizeID(id), src: s.Source, dests: []string{s.Dest},
		coding: sms.FromDataCoding(s.DataCoding, sms.GSM7), content: content,
		udhi:    s.ESMClass&smpp.ESMClassUDHI != 0,
		pkTotal: int(s.SAR.Total), pkNumber: int(s.SAR.Seq), sarRef: s.SAR.Ref,
		report: s.RegisteredDelivery&3 != 0,
	}
	ss.accepted(&sg)
	if sg.report {
		f, failed := sim.outcome()
		if failed || s.RegisteredDelivery&3 == 1 {
			submitted := sim.cfg.Now().In(chinaTime)
			done := submitted.Add(sim.cfg.ReceiptDelay)
			d := smpp.ReceiptDeliver(s, id, smppState(f.Stat), f.Err, submitted, done)
			sim.schedule(ss.acct, &item{pdu: d, fail: failed}, sim.cfg.ReceiptDelay)
		}
	}
	return id, smpp.StatusOK
}

// moSMPP builds the deliver_sms of an MO message.
func moSMPP(mo *MO, segs []sms.Segment, c sms.Coding) []any {
	dc, _ := c.DataCoding()
	out := make([]any, len(segs))
	for i := range segs {
		d := &smpp.Deliver{SM: smpp.SM{
			Source: mo.From, Dest: mo.To, DataCoding: dc,
			Message: segs[i].AppendContent(nil),
		}}
		if segs[i].UDH != nil {
			d.ESMClass = smpp.ESMClassUDHI
		}
		out[i] = d
	}
	return out
}

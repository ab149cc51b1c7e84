package simulator

import (
	"context"
	"net"

	"taxsms/protocol/smgp"
	"taxsms/protocol/sms"
)

func (ss *session) loginSMGP(ctx context.Context) (link, func(context.Context, *item) error, error) {
	sim := ss.srv.sim
	cfg := smgp.ServerConfig{
		Authenticate: func(_ context.Context, l *smgp.Login, _ net.Addr) (string, smgp.Status) {
			ss.name = l.ClientID
			a := ss.srv.accounts[l.ClientID]
			if a == nil || l.AuthenticatorClient != smgp.AuthenticatorClient(l.ClientID, a.cfg.Secret, l.TimeStamp) {
				return "", smgp.StatusAuthFailed
			}
			if !a.reserve() {
				return "", smgp.StatusTooManyConnections
			}
			ss.acct = a
			return a.cfg.Secret, smgp.StatusOK
		},
		OnSubmit: ss.submitSMGP,
		MsgIDs:   sim.smgpIDs,
		Settings: smgp.Settings{
			Window:          sim.cfg.DeliverWindow,
			ResponseTimeout: sim.cfg.ResponseTimeout,
			Retries:         -1,
			DrainTimeout:    sim.cfg.CloseTimeout,
			ThrottleBackoff: -1,
			Now:             sim.cfg.Now,
		},
	}
	c, err := smgp.NewServer(ctx, ss.wc, cfg)
	if err != nil {
		return nil, nil, err
	}
	if c.LoginMode() == smgp.ModeSend {
		return c, nil, nil
	}
	push := func(ctx context.Context, it *item) error {
		_, err := c.Deliver(ctx, it.pdu.(*smgp.Deliver))
		return err
	}
	return c, push, nil
}

func (ss *session) submitSMGP(ctx context.Context, _ *smgp.Conn, s *smgp.Submit) (smgp.MsgID, smgp.Status, error) {
	sim := ss.srv.sim
	switch ss.admit(ctx, key32(s.SequenceID)) {
	case dropped:
		return smgp.MsgID{}, 0, errDropped
	case throttle:
		return smgp.MsgID{}, smgp.StatusBusy, nil
	}
	id := sim.smgpIDs.Next()
	sg := segment{
		msgID: id.Normalized(), src: s.SrcTermID, dests: s.DestTermIDs,
		coding: sms.FromMsgFmt(s.MsgFormat), content: s.MsgContent,
		udhi:    s.TLVs.TPUdhi.Valid && s.TLVs.TPUdhi.Value != 0,
		pkTotal: int(s.TLVs.PkTotal.Value), pkNumber: int(s.TLVs.PkNumber.Value),
		report: s.NeedReport,
	}
	ss.accepted(&sg)
	if sg.report {
		submitted := sim.cfg.Now()
		done := submitted.Add(sim.cfg.ReceiptDelay)
		for _, dest := range s.DestTermIDs {
			f, failed := sim.outcome()
			r := smgp.NewReport(id, f.Stat, f.Err, submitted, done)
			d := &smgp.Deliver{
				MsgID: sim.smgpIDs.Next(), IsReport: true, MsgFormat: smgp.FormatASCII,
				RecvTime:  done.In(chinaTime).Format("20060102150405"),
				SrcTermID: dest, DestTermID: s.SrcTermID,
				MsgContent: r.AppendMarshal(nil),
			}
			sim.schedule(ss.acct, &item{pdu: d, fail: failed}, sim.cfg.ReceiptDelay)
		}
	}
	return id, smgp.StatusOK, nil
}

// moSMGP builds the Delivers of an MO message.
func (s *Simulator) moSMGP(mo *MO, segs []sms.Segment, c sms.Coding) []any {
	f, _ := c.MsgFmt()
	now := s.cfg.Now().In(chinaTime).Format("20060102150405")
	out := make([]any, len(segs))
	for i := range segs {
		d := &smgp.Deliver{
			MsgID: s.smgpIDs.Next(), MsgFormat: f, RecvTime: now,
			SrcTermID: mo.From, DestTermID: mo.To,
			MsgContent: segs[i].AppendContent(nil),
		}
		if segs[i].UDH != nil {
			d.TLVs.TPUdhi = smgp.Byte(1)
			d.TLVs.PkTotal = smgp.Byte(byte(segs[i].Total))
			d.TLVs.PkNumber = smgp.Byte(byte(segs[i].Seq))
		}
		out[i] = d
	}
	return out
}

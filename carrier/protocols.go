package carrier

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"taxsms"
	"taxsms/protocol"
	"taxsms/protocol/cmpp"
	"taxsms/protocol/sgip"
	"taxsms/protocol/smgp"
	"taxsms/protocol/smpp"
	"taxsms/protocol/sms"
)

// segment is one submit: a segment of a message as one protocol sends it.
type segment struct {
	dest     string // 11 digits
	src      string // source number with the kind's extension
	priority taxsms.Priority
	coding   sms.Coding
	concat   sms.Concat
	seg      sms.Segment
	content  []byte // UDH and payload
}

// conn is one logged-in session of any protocol, as a Link uses it.
type conn interface {
	// submit sends one segment and returns the carrier's id of it,
	// normalised as its receipt will quote it.
	submit(ctx context.Context, s *segment) (string, error)
	Done() <-chan struct{}
	Err() error
	Close() error
}

// dial opens and logs in one session of the link's protocol.
func (l *Link) dial(ctx context.Context) (conn, error) {
	c := &l.cfg
	switch c.Protocol {
	case ProtocolCMPP:
		v := cmpp.V30
		if c.Version == "2.0" {
			v = cmpp.V20
		}
		cc, err := cmpp.Dial(ctx, c.Address, cmpp.ClientConfig{
			SourceAddr: c.Account, Secret: c.Secret, Version: v,
			Window: c.window(), ResponseTimeout: c.ResponseTimeout, MaxTries: l.tries(),
			CloseTimeout: l.opts.CloseTimeout,
			OnDeliver:    l.cmppDeliver, Workers: c.window(), // receipts in flight share a commit
			Now: l.opts.Now, Logger: l.log,
		})
		if err != nil {
			return nil, err
		}
		return cmppConn{cc, c}, nil
	case ProtocolSGIP:
		sc, err := sgip.Dial(ctx, c.Address, sgip.ClientConfig{
			LoginName: c.Account, LoginPassword: c.Secret, NodeID: c.NodeID,
			Window: c.window(), ResponseTimeout: c.ResponseTimeout, Resends: l.opts.Resends,
			CloseTimeout: l.opts.CloseTimeout,
			NextSeq:      func() uint32 { return l.sgipSeq.Add(1) },
			Now:          l.opts.Now,
		})
		if err != nil {
			return nil, err
		}
		return sgipConn{sc, c}, nil
	case ProtocolSMGP:
		sc, err := smgp.Dial(ctx, c.Address, smgp.ClientConfig{
			ClientID: c.Account, Secret: c.Secret, LoginMode: smgp.ModeTransmit,
			OnDeliver: l.smgpDeliver,
			Settings: smgp.Settings{
				Window: c.window(), ResponseTimeout: c.ResponseTimeout, Retries: l.opts.Resends,
				DrainTimeout: l.opts.CloseTimeout, ThrottleBackoff: -1, Now: l.opts.Now,
			},
		})
		if err != nil {
			return nil, err
		}
		return smgpConn{sc, c}, nil
	case ProtocolSMPP:
		sc, err := smpp.Dial(ctx, c.Address, smpp.ClientConfig{
			Timing: smpp.Timing{
				Window: c.window(), ResponseTimeout: c.ResponseTimeout, Resends: l.opts.Resends,
				CloseTimeout: l.opts.CloseTimeout,
			},
			SystemID: c.Account, Password: c.Secret,
			OnDeliver: l.smppDeliver,
		})
		if err != nil {
			return nil, err
		}
		return smppConn{sc, c, l.dialect}, nil
	}
	return nil, fmt.Errorf("unknown protocol %q", c.Protocol)
}

// tries returns the CMPP MaxTries for Options.Resends.
func (l *Link) tries() int {
	switch {
	case l.opts.Resends < 0:
		return 1
	case l.opts.Resends == 0:
		return 0
	}
	return l.opts.Resends + 1
}

func radix(s string) smpp.IDRadix {
	switch s {
	case "decimal":
		return smpp.IDDecimal
	case "hex":
		return smpp.IDHex
	}
	return smpp.IDAsIs
}

type cmppConn struct {
	*cmpp.Conn
	cfg *LinkConfig
}

func (c cmppConn) submit(ctx context.Context, s *segment) (string, error) {
	p := &cmpp.Submit{
		PkTotal: uint8(s.seg.Total), PkNumber: uint8(s.seg.Seq),
		RegisteredDelivery: 1,
		MsgLevel:           uint8(3 - min(3, max(0, int(s.priority)))),
		ServiceID:          c.cfg.ServiceCode,
		FeeUserType:        2, // the SP pays
		MsgFmt:             byte(s.coding),
		MsgSrc:             c.cfg.Account,
		FeeType:            "01", // free to the user
		FeeCode:            "000000",
		SrcID:              s.src,
		DestTerminalIDs:    []string{s.dest},
		Content:            s.content,
	}
	if s.seg.UDH != nil {
		p.TPUDHI = 1
	}
	r, err := c.Submit(ctx, p)
	if r != nil && err == nil {
		return protocol.NormalizeID(r.MsgID.String()), nil
	}
	return "", err
}

type sgipConn struct {
	*sgip.Conn
	cfg *LinkConfig
}

func (c sgipConn) submit(ctx context.Context, s *segment) (string, error) {
	p := &sgip.Submit{
		SPNumber:         s.src,
		ChargeNumber:     "000000000000000000000", // the SP pays
		UserNumbers:      []string{"86" + s.dest},
		CorpID:           c.cfg.corpID(),
		ServiceType:      c.cfg.ServiceCode,
		FeeType:          1, // free
		FeeValue:         "0",
		GivenValue:       "0",
		MorelatetoMTFlag: 2, // not caused by an MO
		Priority:         uint8(9 - 3*min(3, max(0, int(s.priority)))),
		ReportFlag:       sgip.ReportAlways,
		MessageCoding:    byte(s.coding),
		Content:          s.content,
	}
	if s.seg.UDH != nil {
		p.TPUDHI = 1
	}
	r, err := c.Submit(ctx, p)
	if r != nil && err == nil {
		return r.MsgID(), nil
	}
	return "", err
}

type smgpConn struct {
	*smgp.Conn
	cfg *LinkConfig
}

func (c smgpConn) submit(ctx context.Context, s *segment) (string, error) {
	p := &smgp.Submit{
		MsgType: smgp.MsgTypeMT, NeedReport: true,
		Priority:    byte(3 - min(3, max(0, int(s.priority)))),
		ServiceID:   c.cfg.ServiceCode,
		FeeType:     "00", // free
		FeeCode:     "000000",
		FixedFee:    "000000",
		MsgFormat:   byte(s.coding),
		SrcTermID:   s.src,
		DestTermIDs: []string{s.dest},
		MsgContent:  s.content,
	}
	if s.seg.UDH != nil {
		p.TLVs.TPUdhi = smgp.Byte(1)
	}
	if s.seg.Total > 1 {
		p.TLVs.PkTotal = smgp.Byte(byte(s.seg.Total))
		p.TLVs.PkNumber = smgp.Byte(byte(s.seg.Seq))
	}
	r, err := c.Submit(ctx, p)
	if r != nil && err == nil {
		return r.MsgID.Normalized(), nil
	}
	return "", err
}

type smppConn struct {
	*smpp.Conn
	cfg     *LinkConfig
	dialect smpp.Dialect
}

func (c smppConn) submit(ctx context.Context, s *segment) (string, error) {
	dc, _ := s.coding.DataCoding()
	p := &smpp.Submit{SM: smpp.SM{
		ServiceType: c.cfg.ServiceCode,
		SourceTON:   0, SourceNPI: 1, Source: s.src,
		DestTON: 0, DestNPI: 1, Dest: s.dest,
		RegisteredDelivery: 1,
		DataCoding:         dc,
	}}
	if s.priority == taxsms.PriorityInteractive {
		p.Priority = 1
	}
	switch {
	case s.concat == sms.ConcatPayload:
		p.Payload = s.content
	default:
		p.Message = s.content
		if s.seg.UDH != nil {
			p.ESMClass |= smpp.ESMClassUDHI
		}
		if s.concat == sms.ConcatSAR && s.seg.Total > 1 {
			p.SAR = smpp.SAR{Ref: s.seg.Ref, Total: uint8(s.seg.Total), Seq: uint8(s.seg.Seq)}
		}
	}
	r, err := c.Submit(ctx, p)
	if r != nil && err == nil {
		return c.dialect.MsgID(r), nil
	}
	return "", err
}

// refusal returns the carrier's code in a submit error, and whether there
// is one.
func refusal(err error) (uint32, bool) {
	var ce *cmpp.ResultError
	var se *sgip.StatusError
	var ge *smgp.StatusError
	var pe smpp.Status
	switch {
	case errors.As(err, &ce):
		return ce.Code, true
	case errors.As(err, &se):
		return uint32(se.Result), true
	case errors.As(err, &ge):
		return uint32(ge.Status), true
	case errors.As(err, &pe):
		return uint32(pe), pe != smpp.StatusOK
	}
	return 0, false
}

// temporary reports whether a refusal with code on protocol may succeed if
// sent again later. Codes that say the message, the number or the account
// is wrong are permanent; system failures, sequence clashes and codes the
// tables do not know (vendor codes) are temporary, so that a message is not
// lost to an unknown answer; dispatch bounds the retries. Throttle codes
// never get here: the protocol packages report them as ErrThrottled.
func temporary(proto string, code uint32) bool {
	switch proto {
	case ProtocolCMPP:
		// 1-7 structure, command, sequence, length, fee, too long, service
		// code; 10-13 Src_Id, Msg_src, fee and destination numbers (3.0).
		// 9 is "other error" in 2.0 and system-busy answers in practice.
		switch {
		case code >= 1 && code <= 7 && code != cmpp.ResultDuplicateSeq:
			return false
		case code >= 10 && code <= 13:
			return false
		}
		return true
	case ProtocolSGIP:
		switch uint8(code) {
		case sgip.ResultIllegalLogin, sgip.ResultBadLoginType, sgip.ResultBadFormat,
			sgip.ResultBadNumber, sgip.ResultBadMsgID, sgip.ResultBadLength, sgip.ResultIllegalGNS:
			return false
		}
		// 21-31 are report codes about the handset; 32, 33 system failure
		// and queue full.
		return !(code >= 21 && code <= 31)
	case ProtocolSMGP:
		switch {
		case code == 10 || code == 11 || code == 20 || code == 21 || code == 22:
			return false
		case code >= 30 && code <= 73:
			return false
		case code == uint32(smgp.StatusAccountExpired):
			return false
		}
		return true
	case ProtocolSMPP:
		switch smpp.Status(code) {
		case smpp.StatusInvMsgLen, smpp.StatusInvCmdLen, smpp.StatusInvCmdID,
			smpp.StatusInvSrcAddr, smpp.StatusInvDstAddr, smpp.StatusPermAppErr,
			smpp.StatusRejectedAppErr, 0x61, 0x62, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0x104:
			return false
		}
		return true
	}
	return true
}

// cmppDeliver receives a CMPP DELIVER: a status report or an MO.
func (l *Link) cmppDeliver(ctx context.Context, d *cmpp.Deliver) error {
	if d.IsReport() {
		r, err := d.Receipt()
		if err != nil {
			l.log.Warn("unreadable status report, acknowledged", "err", err)
			return nil
		}
		return l.receipt(ctx, r)
	}
	return l.mo(ctx, inbound{
		msgID: d.MsgID.String(), from: d.SrcTerminalID, to: d.DestID,
		coding: sms.FromMsgFmt(d.MsgFmt), content: d.Content, udhi: d.HasUDH(),
	})
}

// sgipReport receives an SGIP Report on our listener.
func (l *Link) sgipReport(ctx context.Context, p *sgip.Report) error {
	return l.receipt(ctx, p.Receipt())
}

// sgipDeliver receives an SGIP Deliver (MO) on our listener.
func (l *Link) sgipDeliver(ctx context.Context, d *sgip.Deliver) error {
	return l.mo(ctx, inbound{
		msgID: d.Seq.MsgID(), from: d.UserNumber, to: d.SPNumber,
		coding: sms.FromMsgFmt(d.MessageCoding), content: d.Content, udhi: d.TPUDHI != 0,
	})
}

// smgpDeliver receives an SMGP Deliver: a status report or an MO.
func (l *Link) smgpDeliver(ctx context.Context, d *smgp.Deliver) error {
	if d.IsReport {
		r, err := d.Receipt()
		if err != nil {
			l.log.Warn("unreadable status report, acknowledged", "err", err)
			return nil
		}
		return l.receipt(ctx, r)
	}
	in := inbound{
		msgID: d.MsgID.Normalized(), from: d.SrcTermID, to: d.DestTermID,
		coding: sms.FromMsgFmt(d.MsgFormat), content: d.MsgContent,
		udhi: d.TLVs.TPUdhi.Valid && d.TLVs.TPUdhi.Value != 0,
	}
	if d.TLVs.PkTotal.Valid && d.TLVs.PkNumber.Valid {
		in.total, in.seq = int(d.TLVs.PkTotal.Value), int(d.TLVs.PkNumber.Value)
	}
	return l.mo(ctx, in)
}

// smppDeliver receives a deliver_sm: a delivery receipt or an MO.
func (l *Link) smppDeliver(ctx context.Context, d *smpp.Deliver) error {
	if d.IsReceipt() {
		if d.ESMClass&smpp.ESMClassTypeMask == smpp.ESMClassIntermediate {
			return nil
		}
		r, err := l.dialect.Receipt(d)
		if err != nil {
			l.log.Warn("unreadable delivery receipt, acknowledged", "err", err)
			return nil
		}
		return l.receipt(ctx, r)
	}
	content := d.Message
	if d.Payload != nil {
		content = d.Payload
	}
	in := inbound{
		from: d.Source, to: d.Dest,
		coding: sms.FromDataCoding(d.DataCoding, sms.GSM7), content: content,
		udhi: d.ESMClass&smpp.ESMClassUDHI != 0,
	}
	if d.SAR.Total > 0 {
		in.ref, in.total, in.seq = int(d.SAR.Ref), int(d.SAR.Total), int(d.SAR.Seq)
	}
	return l.mo(ctx, in)
}

// inbound is an MO PDU in the fields every protocol has.
type inbound struct {
	msgID, from, to string
	coding          sms.Coding
	content         []byte
	udhi            bool
	// ref, total and seq are concatenation numbers carried outside the
	// content (SMPP sar_*, SMGP PkTotal/PkNumber), 0 when absent.
	ref, total, seq int
}

// receipt hands a status report to the Handler. Reports of a state that is
// not final (SGIP State 1, CMPP ACCEPTD, SMPP ENROUTE) are acknowledged and
// dropped.
func (l *Link) receipt(ctx context.Context, r protocol.Receipt) error {
	switch strings.ToUpper(r.Stat) {
	case "ENROUTE", "ACCEPTD":
		return nil
	}
	err := l.h.HandleReceipt(ctx, Receipt{
		Link: l.cfg.Name, Carrier: l.cfg.Carrier,
		MsgID: r.MsgID, Stat: r.Stat, Err: r.Err, Done: r.Done,
	})
	if err != nil {
		l.stats.handlerErrors.Add(1)
		l.log.Warn("receipt handler failed; the gateway will resend", "msg_id", r.MsgID, "err", l.scrub(err.Error()))
		return err
	}
	l.stats.receipts.Add(1)
	return nil
}

// mo decodes an MO PDU into a Fragment and hands it to the Handler.
func (l *Link) mo(ctx context.Context, in inbound) error {
	f := Fragment{
		Link: l.cfg.Name, Carrier: l.cfg.Carrier, MsgID: protocol.NormalizeID(in.msgID),
		From: strings.TrimSpace(in.from), To: strings.TrimSpace(in.to),
		Total: 1, Seq: 1, Received: l.opts.Now(),
	}
	if m, err := taxsms.NormalizeMobile(f.From); err == nil {
		f.From = m
	}
	text, udh, err := sms.DecodeContent(in.content, in.coding, in.udhi, false, 0)
	if err != nil && text == "" && len(in.content) > 0 {
		// A malformed UDH: keep the message, read without it.
		l.log.Warn("MO with a malformed header, read as plain text", "from", taxsms.MaskMobile(f.From), "err", err)
		text, _ = sms.Decode(in.content, in.coding)
		udh = sms.UDH{}
	} else if err != nil {
		l.log.Warn("MO text did not decode cleanly", "from", taxsms.MaskMobile(f.From), "err", err)
	}
	f.Text = text
	switch {
	case udh.Concat && udh.Total > 1:
		f.Ref, f.Total, f.Seq = int(udh.Ref), udh.Total, udh.Seq
	case in.total > 1 && in.seq >= 1 && in.seq <= in.total:
		f.Ref, f.Total, f.Seq = in.ref, in.total, in.seq
	}
	if err := l.h.HandleMO(ctx, f); err != nil {
		l.stats.handlerErrors.Add(1)
		l.log.Warn("MO handler failed; the gateway will resend", "from", taxsms.MaskMobile(f.From), "err", l.scrub(err.Error()))
		return err
	}
	l.stats.mo.Add(1)
	return nil
}

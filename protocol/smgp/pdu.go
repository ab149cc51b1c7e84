package smgp

import (
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"time"
)

// Login opens a session (SP → SMGW) [spec §5.2.2.1].
type Login struct {
	SequenceID uint32
	// ClientID is the account, for an SP its service code (8 bytes).
	ClientID string
	// AuthenticatorClient is MD5(ClientID + 7×0x00 + secret + timestamp);
	// see AuthenticatorClient.
	AuthenticatorClient [16]byte
	LoginMode           LoginMode
	// TimeStamp is MMDDHHMMSS read as a decimal number; see Timestamp.
	TimeStamp     uint32
	ClientVersion Version
}

// NewLogin returns a Login for the account clientID with its shared secret,
// stamped with the time t (in the gateway's time zone).
func NewLogin(clientID, secret string, mode LoginMode, v Version, t time.Time) *Login {
	ts := Timestamp(t)
	return &Login{
		ClientID:            clientID,
		AuthenticatorClient: AuthenticatorClient(clientID, secret, ts),
		LoginMode:           mode,
		TimeStamp:           ts,
		ClientVersion:       v,
	}
}

// Timestamp returns t's MMDDHHMMSS as the number Login.TimeStamp carries.
func Timestamp(t time.Time) uint32 {
	return uint32(t.Month())*100000000 + uint32(t.Day())*1000000 + uint32(t.Hour())*10000 +
		uint32(t.Minute())*100 + uint32(t.Second())
}

// AuthenticatorClient returns MD5(clientID + 7 bytes 0x00 + secret +
// timestamp as 10 decimal digits), with clientID unpadded [spec §6.2.2].
func AuthenticatorClient(clientID, secret string, timestamp uint32) [16]byte {
	b := make([]byte, 0, len(clientID)+7+len(secret)+10)
	b = append(b, clientID...)
	b = append(b, 0, 0, 0, 0, 0, 0, 0)
	b = append(b, secret...)
	b = fmt.Appendf(b, "%010d", timestamp)
	return md5.Sum(b)
}

// AuthenticatorServer returns MD5(status as 4 bytes + authClient + secret)
// [spec §6.2.7].
func AuthenticatorServer(status Status, authClient [16]byte, secret string) [16]byte {
	b := make([]byte, 0, 4+16+len(secret))
	b = binary.BigEndian.AppendUint32(b, uint32(status))
	b = append(b, authClient[:]...)
	b = append(b, secret...)
	return md5.Sum(b)
}

// Command returns CmdLogin.
func (p *Login) Command() Command { return CmdLogin }

// Seq returns the SequenceID.
func (p *Login) Seq() uint32 { return p.SequenceID }

// AppendMarshal appends the 42-byte packet to b; ClientID is cut to 8 bytes.
func (p *Login) AppendMarshal(b []byte) []byte { return p.appendSeq(b, p.SequenceID) }

func (p *Login) appendSeq(b []byte, seq uint32) []byte {
	b, start := appendHeader(b, CmdLogin, seq)
	b = appendStr(b, p.ClientID, 8)
	b = append(b, p.AuthenticatorClient[:]...)
	b = append(b, byte(p.LoginMode))
	b = binary.BigEndian.AppendUint32(b, p.TimeStamp)
	b = append(b, byte(p.ClientVersion))
	return finish(b, start)
}

func (d *decoder) login(seq uint32) *Login {
	p := &Login{SequenceID: seq, ClientID: d.str(8)}
	copy(p.AuthenticatorClient[:], d.bytes(16))
	p.LoginMode = LoginMode(d.u8())
	p.TimeStamp = d.u32()
	p.ClientVersion = Version(d.u8())
	return p
}

// LoginResp answers Login [spec §5.2.2.1].
type LoginResp struct {
	SequenceID          uint32
	Status              Status
	AuthenticatorServer [16]byte // see AuthenticatorServer
	ServerVersion       Version
}

// Command returns CmdLoginResp.
func (p *LoginResp) Command() Command { return CmdLoginResp }

// Seq returns the SequenceID.
func (p *LoginResp) Seq() uint32 { return p.SequenceID }

// AppendMarshal appends the 33-byte packet to b.
func (p *LoginResp) AppendMarshal(b []byte) []byte { return p.appendSeq(b, p.SequenceID) }

func (p *LoginResp) appendSeq(b []byte, seq uint32) []byte {
	b, start := appendHeader(b, CmdLoginResp, seq)
	b = binary.BigEndian.AppendUint32(b, uint32(p.Status))
	b = append(b, p.AuthenticatorServer[:]...)
	b = append(b, byte(p.ServerVersion))
	return finish(b, start)
}

func (d *decoder) loginResp(seq uint32) *LoginResp {
	p := &LoginResp{SequenceID: seq, Status: Status(d.u32())}
	copy(p.AuthenticatorServer[:], d.bytes(16))
	p.ServerVersion = Version(d.u8())
	return p
}

// Submit sends a message (SP → SMGW) [spec §5.2.2.2]. String fields longer
// than their width are cut by AppendMarshal; Validate reports them.
type Submit struct {
	SequenceID uint32
	// Version selects the layout: V13 has no FixedFee; anything else is 3.0.
	Version    Version
	MsgType    byte // MsgTypeMT for an SP's message
	NeedReport bool // ask for a status report
	Priority   byte // 0 (lowest) – 3
	ServiceID  string
	FeeType    string // 2 bytes: "00" free, "01" per message, "02" monthly, "03" capped
	FeeCode    string // 6 bytes, in fen
	FixedFee   string // 6 bytes, 3.0 only
	MsgFormat  byte
	ValidTime  string // 17 bytes, SMPP absolute or relative time form
	AtTime     string // 17 bytes
	SrcTermID  string // 21 bytes: the SP's access number (and extension)
	// ChargeTermID is the number charged, 21 bytes.
	ChargeTermID string
	// DestTermIDs are the recipients, 1 to MaxDestTermIDs, 21 bytes each.
	DestTermIDs []string
	// MsgContent is at most MaxContent bytes (140 for MT), in MsgFormat.
	MsgContent []byte
	Reserve    string // 8 bytes
	TLVs       TLVs
}

// Command returns CmdSubmit.
func (p *Submit) Command() Command { return CmdSubmit }

// Seq returns the SequenceID.
func (p *Submit) Seq() uint32 { return p.SequenceID }

// Validate reports the first field that does not fit its width or range.
func (p *Submit) Validate() error {
	switch {
	case len(p.DestTermIDs) == 0 || len(p.DestTermIDs) > MaxDestTermIDs:
		return fmt.Errorf("smgp: Submit: %d DestTermIDs, want 1 to %d", len(p.DestTermIDs), MaxDestTermIDs)
	case len(p.MsgContent) > MaxContent:
		return fmt.Errorf("smgp: Submit: MsgContent of %d bytes over %d", len(p.MsgContent), MaxContent)
	}
	for _, f := range [...]struct {
		name string
		v    string
		n    int
	}{
		{"ServiceID", p.ServiceID, 10}, {"FeeType", p.FeeType, 2}, {"FeeCode", p.FeeCode, 6},
		{"FixedFee", p.FixedFee, 6}, {"ValidTime", p.ValidTime, 17}, {"AtTime", p.AtTime, 17},
		{"SrcTermID", p.SrcTermID, 21}, {"ChargeTermID", p.ChargeTermID, 21}, {"Reserve", p.Reserve, 8},
	} {
		if len(f.v) > f.n {
			return fmt.Errorf("smgp: Submit: %s %q longer than %d bytes", f.name, f.v, f.n)
		}
	}
	for i, d := range p.DestTermIDs {
		if len(d) > 21 {
			return fmt.Errorf("smgp: Submit: DestTermIDs[%d] %q longer than 21 bytes", i, d)
		}
	}
	return p.TLVs.validate()
}

// AppendMarshal appends the packet to b. Fields are cut to their widths, at
// most MaxDestTermIDs destinations and MaxContent content bytes are written.
func (p *Submit) AppendMarshal(b []byte) []byte { return p.appendSeq(b, p.SequenceID) }

func (p *Submit) appendSeq(b []byte, seq uint32) []byte {
	b, start := appendHeader(b, CmdSubmit, seq)
	nb := byte(0)
	if p.NeedReport {
		nb = 1
	}
	b = append(b, p.MsgType, nb, p.Priority)
	b = appendStr(b, p.ServiceID, 10)
	b = appendStr(b, p.FeeType, 2)
	b = appendStr(b, p.FeeCode, 6)
	if p.Version != V13 {
		b = appendStr(b, p.FixedFee, 6)
	}
	b = append(b, p.MsgFormat)
	b = appendStr(b, p.ValidTime, 17)
	b = appendStr(b, p.AtTime, 17)
	b = appendStr(b, p.SrcTermID, 21)
	b = appendStr(b, p.ChargeTermID, 21)
	dests := p.DestTermIDs[:min(len(p.DestTermIDs), MaxDestTermIDs)]
	b = append(b, byte(len(dests)))
	for _, d := range dests {
		b = appendStr(b, d, 21)
	}
	content := p.MsgContent[:min(len(p.MsgContent), MaxContent)]
	b = append(b, byte(len(content)))
	b = append(b, content...)
	b = appendStr(b, p.Reserve, 8)
	b = p.TLVs.appendTo(b)
	return finish(b, start)
}

func (d *decoder) submit(seq uint32, v Version) *Submit {
	p := &Submit{SequenceID: seq, MsgType: d.u8(), NeedReport: d.u8() != 0, Priority: d.u8()}
	if v == V13 {
		p.Version = V13
	}
	p.ServiceID = d.str(10)
	p.FeeType = d.str(2)
	p.FeeCode = d.str(6)
	if v != V13 {
		p.FixedFee = d.str(6)
	}
	p.MsgFormat = d.u8()
	p.ValidTime = d.str(17)
	p.AtTime = d.str(17)
	p.SrcTermID = d.str(21)
	p.ChargeTermID = d.str(21)
	off := d.off
	n := int(d.u8())
	if d.err == nil && n > MaxDestTermIDs {
		d.err = parseErr(d.cmd, d.b, off, "DestTermIDCount %d over %d", n, MaxDestTermIDs)
		return p
	}
	if d.need(21*n, "DestTermID") && n > 0 {
		p.DestTermIDs = make([]string, n)
		for i := range p.DestTermIDs {
			p.DestTermIDs[i] = d.str(21)
		}
	}
	n = int(d.u8())
	if c := d.bytes(n); len(c) > 0 {
		p.MsgContent = append([]byte(nil), c...)
	}
	p.Reserve = d.str(8)
	if d.err == nil {
		p.TLVs = d.tlvs()
	}
	return p
}

// SubmitResp answers Submit [spec §5.2.2.2].
type SubmitResp struct {
	SequenceID uint32
	MsgID      MsgID // the gateway's id, matched by the status report
	Status     Status
}

// Command returns CmdSubmitResp.
func (p *SubmitResp) Command() Command { return CmdSubmitResp }

// Seq returns the SequenceID.
func (p *SubmitResp) Seq() uint32 { return p.SequenceID }

// AppendMarshal appends the 26-byte packet to b.
func (p *SubmitResp) AppendMarshal(b []byte) []byte { return p.appendSeq(b, p.SequenceID) }

func (p *SubmitResp) appendSeq(b []byte, seq uint32) []byte {
	b, start := appendHeader(b, CmdSubmitResp, seq)
	b = append(b, p.MsgID[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(p.Status))
	return finish(b, start)
}

// Deliver carries an MO message or, with IsReport, a status report (SMGW →
// SP) [spec §5.2.2.3].
type Deliver struct {
	SequenceID uint32
	MsgID      MsgID // the gateway's id of this Deliver (not of the reported message)
	IsReport   bool  // MsgContent is a status report; see Report
	MsgFormat  byte
	RecvTime   string // 14 bytes, YYYYMMDDHHMMSS
	// SrcTermID is the sender: the handset for MO and for reports.
	SrcTermID string
	// DestTermID is the SP number the message was sent to.
	DestTermID string
	MsgContent []byte // at most MaxContent bytes
	Reserve    string // 8 bytes
	TLVs       TLVs
}

// Command returns CmdDeliver.
func (p *Deliver) Command() Command { return CmdDeliver }

// Seq returns the SequenceID.
func (p *Deliver) Seq() uint32 { return p.SequenceID }

// AppendMarshal appends the packet to b; fields are cut to their widths.
func (p *Deliver) AppendMarshal(b []byte) []byte { return p.appendSeq(b, p.SequenceID) }

func (p *Deliver) appendSeq(b []byte, seq uint32) []byte {
	b, start := appendHeader(b, CmdDeliver, seq)
	b = append(b, p.MsgID[:]...)
	r := byte(0)
	if p.IsReport {
		r = 1
	}
	b = append(b, r, p.MsgFormat)
	b = appendStr(b, p.RecvTime, 14)
	b = appendStr(b, p.SrcTermID, 21)
	b = appendStr(b, p.DestTermID, 21)
	content := p.MsgContent[:min(len(p.MsgContent), MaxContent)]
	b = append(b, byte(len(content)))
	b = append(b, content...)
	b = appendStr(b, p.Reserve, 8)
	b = p.TLVs.appendTo(b)
	return finish(b, start)
}

func (d *decoder) deliver(seq uint32) *Deliver {
	p := &Deliver{SequenceID: seq, MsgID: d.msgID(), IsReport: d.u8() != 0, MsgFormat: d.u8()}
	p.RecvTime = d.str(14)
	p.SrcTermID = d.str(21)
	p.DestTermID = d.str(21)
	n := int(d.u8())
	if c := d.bytes(n); len(c) > 0 {
		p.MsgContent = append([]byte(nil), c...)
	}
	p.Reserve = d.str(8)
	if d.err == nil {
		p.TLVs = d.tlvs()
	}
	return p
}

// DeliverResp answers Deliver [spec §5.2.2.3]; MsgID echoes the Deliver's.
type DeliverResp struct {
	SequenceID uint32
	MsgID      MsgID
	Status     Status
}

// Command returns CmdDeliverResp.
func (p *DeliverResp) Command() Command { return CmdDeliverResp }

// Seq returns the SequenceID.
func (p *DeliverResp) Seq() uint32 { return p.SequenceID }

// AppendMarshal appends the 26-byte packet to b.
func (p *DeliverResp) AppendMarshal(b []byte) []byte { return p.appendSeq(b, p.SequenceID) }

func (p *DeliverResp) appendSeq(b []byte, seq uint32) []byte {
	b, start := appendHeader(b, CmdDeliverResp, seq)
	b = append(b, p.MsgID[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(p.Status))
	return finish(b, start)
}

// ActiveTest is the keep-alive request; it has no body.
type ActiveTest struct{ SequenceID uint32 }

// ActiveTestResp answers ActiveTest; it has no body.
type ActiveTestResp struct{ SequenceID uint32 }

// Exit ends a session; it has no body.
type Exit struct{ SequenceID uint32 }

// ExitResp answers Exit; it has no body.
type ExitResp struct{ SequenceID uint32 }

// Command returns CmdActiveTest.
func (p *ActiveTest) Command() Command { return CmdActiveTest }

// Command returns CmdActiveTestResp.
func (p *ActiveTestResp) Command() Command { return CmdActiveTestResp }

// Command returns CmdExit.
func (p *Exit) Command() Command { return CmdExit }

// Command returns CmdExitResp.
func (p *ExitResp) Command() Command { return CmdExitResp }

// Seq returns the SequenceID.
func (p *ActiveTest) Seq() uint32 { return p.SequenceID }

// Seq returns the SequenceID.
func (p *ActiveTestResp) Seq() uint32 { return p.SequenceID }

// Seq returns the SequenceID.
func (p *Exit) Seq() uint32 { return p.SequenceID }

// Seq returns the SequenceID.
func (p *ExitResp) Seq() uint32 { return p.SequenceID }

// AppendMarshal appends the 12-byte packet to b.
func (p *ActiveTest) AppendMarshal(b []byte) []byte { return p.appendSeq(b, p.SequenceID) }

// AppendMarshal appends the 12-byte packet to b.
func (p *ActiveTestResp) AppendMarshal(b []byte) []byte { return p.appendSeq(b, p.SequenceID) }

// AppendMarshal appends the 12-byte packet to b.
func (p *Exit) AppendMarshal(b []byte) []byte { return p.appendSeq(b, p.SequenceID) }

// AppendMarshal appends the 12-byte packet to b.
func (p *ExitResp) AppendMarshal(b []byte) []byte { return p.appendSeq(b, p.SequenceID) }

func (p *ActiveTest) appendSeq(b []byte, seq uint32) []byte {
	b, start := appendHeader(b, CmdActiveTest, seq)
	return finish(b, start)
}

func (p *ActiveTestResp) appendSeq(b []byte, seq uint32) []byte {
	b, start := appendHeader(b, CmdActiveTestResp, seq)
	return finish(b, start)
}

func (p *Exit) appendSeq(b []byte, seq uint32) []byte {
	b, start := appendHeader(b, CmdExit, seq)
	return finish(b, start)
}

func (p *ExitResp) appendSeq(b []byte, seq uint32) []byte {
	b, start := appendHeader(b, CmdExitResp, seq)
	return finish(b, start)
}

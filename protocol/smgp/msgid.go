package smgp

import (
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"time"

	"taxsms/protocol"
)

// MsgID is the 10-byte gateway message id [spec §6.2.26]: BCD digits of the
// SMGW code (3 bytes: area code, "06", index), the time MMDDHHMM (4 bytes)
// and a sequence 000000–999999 (3 bytes). Gateways do not always fill it
// with BCD, so it is kept and compared as raw bytes.
type MsgID [10]byte

// String returns the id as 20 upper-case hex digits, the form that
// protocol.NormalizeID leaves unchanged and receipts are matched by.
func (id MsgID) String() string {
	var b [20]byte
	const digits = "0123456789ABCDEF"
	for i, c := range id {
		b[2*i] = digits[c>>4]
		b[2*i+1] = digits[c&0x0f]
	}
	return string(b[:])
}

// Normalized returns protocol.NormalizeID(id.String()).
func (id MsgID) Normalized() string { return protocol.NormalizeID(id.String()) }

// IsZero reports whether every byte of id is zero.
func (id MsgID) IsZero() bool { return id == MsgID{} }

// ParseMsgID decodes 20 hex digits (either case, surrounding spaces and NULs
// ignored) into a MsgID.
func ParseMsgID(s string) (MsgID, error) {
	var id MsgID
	s = protocol.NormalizeID(s)
	if len(s) != 2*len(id) {
		return id, fmt.Errorf("smgp: MsgID %q: want 20 hex digits", s)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("smgp: MsgID %q: %w", s, err)
	}
	return id, nil
}

// NewMsgID builds a MsgID from a 6-digit SMGW code, the time t (month, day,
// hour, minute, in t's location) and a sequence, of which the last 6 decimal
// digits are kept. It returns an error when smgw is not 6 decimal digits.
func NewMsgID(smgw string, t time.Time, seq uint32) (MsgID, error) {
	var id MsgID
	if len(smgw) != 6 {
		return id, fmt.Errorf("smgp: SMGW code %q: want 6 digits", smgw)
	}
	for i := 0; i < 6; i += 2 {
		hi, lo := smgw[i]-'0', smgw[i+1]-'0'
		if hi > 9 || lo > 9 {
			return id, fmt.Errorf("smgp: SMGW code %q: want 6 digits", smgw)
		}
		id[i/2] = hi<<4 | lo
	}
	putBCD(id[3:7], uint32(t.Month())*1000000+uint32(t.Day())*10000+uint32(t.Hour())*100+uint32(t.Minute()))
	putBCD(id[7:10], seq%1000000)
	return id, nil
}

// putBCD writes the last 2·len(b) decimal digits of v into b as BCD.
func putBCD(b []byte, v uint32) {
	for i := len(b) - 1; i >= 0; i-- {
		lo := v % 10
		v /= 10
		hi := v % 10
		v /= 10
		b[i] = byte(hi<<4 | lo)
	}
}

// SMGW returns the gateway-code part as 6 hex digits (decimal when BCD).
func (id MsgID) SMGW() string { return id.String()[0:6] }

// Time returns the MMDDHHMM part as 8 hex digits (decimal when BCD).
func (id MsgID) Time() string { return id.String()[6:14] }

// Sequence returns the sequence part as 6 hex digits (decimal when BCD).
func (id MsgID) Sequence() string { return id.String()[14:20] }

// MsgIDGenerator hands out MsgIDs for the gateway side: a fixed SMGW code,
// the current minute and a sequence that counts up and wraps at 1,000,000.
// It is safe for concurrent use.
type MsgIDGenerator struct {
	code [3]byte
	now  func() time.Time
	seq  atomic.Uint32
}

// NewMsgIDGenerator returns a generator for the 6-digit SMGW code smgw,
// taking the time from now (time.Now when nil). It returns an error when smgw
// is not 6 decimal digits.
func NewMsgIDGenerator(smgw string, now func() time.Time) (*MsgIDGenerator, error) {
	id, err := NewMsgID(smgw, time.Time{}, 0)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	g := &MsgIDGenerator{now: now}
	copy(g.code[:], id[:3])
	return g, nil
}

// Next returns a new MsgID. Ids repeat only after 1,000,000 ids in the same
// minute of the year.
func (g *MsgIDGenerator) Next() MsgID {
	var id MsgID
	copy(id[:3], g.code[:])
	t := g.now()
	putBCD(id[3:7], uint32(t.Month())*1000000+uint32(t.Day())*10000+uint32(t.Hour())*100+uint32(t.Minute()))
	putBCD(id[7:10], (g.seq.Add(1)-1)%1000000)
	return id
}

package cmpp

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"taxsms/protocol"
)

// MsgID is the 8-byte CMPP Msg_Id:
//
//	bits 63-60 month, 59-55 day, 54-50 hour, 49-44 minute, 43-38 second,
//	bits 37-16 gateway (ISMG) code, 15-0 sequence
type MsgID uint64

// MakeMsgID packs the month, day and time of t (in t's location), the low
// 22 bits of gateway and seq into a MsgID.
func MakeMsgID(t time.Time, gateway uint32, seq uint16) MsgID {
	return MsgID(uint64(t.Month())<<60 | uint64(t.Day())<<55 | uint64(t.Hour())<<50 |
		uint64(t.Minute())<<44 | uint64(t.Second())<<38 | uint64(gateway&0x3fffff)<<16 | uint64(seq))
}

// Month returns the month field, 1 to 12 in a well-formed id.
func (id MsgID) Month() int { return int(id >> 60) }

// Day returns the day field.
func (id MsgID) Day() int { return int(id>>55) & 0x1f }

// Hour returns the hour field.
func (id MsgID) Hour() int { return int(id>>50) & 0x1f }

// Minute returns the minute field.
func (id MsgID) Minute() int { return int(id>>44) & 0x3f }

// Second returns the second field.
func (id MsgID) Second() int { return int(id>>38) & 0x3f }

// Gateway returns the 22-bit gateway (ISMG) code.
func (id MsgID) Gateway() uint32 { return uint32(id>>16) & 0x3fffff }

// Seq returns the 16-bit sequence.
func (id MsgID) Seq() uint16 { return uint16(id) }

// String returns the id as 16 upper-case hex digits, the form
// protocol.NormalizeID leaves unchanged and receipts are matched on.
func (id MsgID) String() string {
	const digits = "0123456789ABCDEF"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[id&0xf]
		id >>= 4
	}
	return string(b[:])
}

// ParseMsgID reads an id written by MsgID.String, in either case, with or
// without leading zeros, after protocol.NormalizeID.
func ParseMsgID(s string) (MsgID, error) {
	s = protocol.NormalizeID(s)
	x, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("parse CMPP Msg_Id %q: %w", s, err)
	}
	return MsgID(x), nil
}

// MsgIDGenerator hands out Msg_Ids for the gateway side. It is safe for
// concurrent use; the zero value uses gateway code 0 and time.Now.
type MsgIDGenerator struct {
	// Gateway is the 22-bit ISMG code written into every id.
	Gateway uint32
	// Now returns the time written into ids; nil means time.Now.
	Now func() time.Time

	seq atomic.Uint32
}

// Next returns a new id: the current time, the gateway code and the next
// 16-bit sequence, which wraps.
func (g *MsgIDGenerator) Next() MsgID {
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	return MakeMsgID(now(), g.Gateway, uint16(g.seq.Add(1)))
}

package sgip

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"taxsms/protocol"
)

// Seq is the header's 12-byte SequenceNumber [SGIP 1.2 §4.2.2]: the sending
// node, the time of sending as the decimal number MMDDHHMMSS, and a counter.
// The Seq of a Submit is the message's id: the Report quotes it.
type Seq struct {
	Node   uint32 // 3AAAAQQQQQ for an SP, 1AAAAX for an SMG
	Time   uint32 // MMDDHHMMSS as a decimal number
	Number uint32 // counts from the Conn's start and wraps
}

// SeqTime returns t as the Time of a Seq: the decimal number MMDDHHMMSS in
// t's location.
func SeqTime(t time.Time) uint32 {
	_, mo, d := t.Date()
	h, mi, s := t.Clock()
	return uint32(mo)*100000000 + uint32(d)*1000000 + uint32(h)*10000 + uint32(mi)*100 + uint32(s)
}

// NodeID returns the node id 3AAAAQQQQQ of an SP from its area code ("010",
// "0755") and its 5-digit corp id: the area code is left-aligned in four
// digits and padded with 0, so area "010" and corp "12345" give 3010012345.
// It returns an error when area is not 3 or 4 digits or corp not 5 digits.
func NodeID(area, corp string) (uint32, error) {
	if len(area) < 3 || len(area) > 4 || len(corp) != 5 || !digits(area) || !digits(corp) {
		return 0, fmt.Errorf("sgip node id: area %q must have 3 or 4 digits and corp %q 5", area, corp)
	}
	n, _ := strconv.ParseUint("3"+area+strings.Repeat("0", 4-len(area))+corp, 10, 32)
	return uint32(n), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats s as "NODE-MMDDHHMMSS-NUMBER": three decimal numbers, the
// time zero-padded to ten digits, for example "3053112345-0203153000-42".
func (s Seq) String() string {
	b := make([]byte, 0, 32)
	b = strconv.AppendUint(b, uint64(s.Node), 10)
	b = append(b, '-')
	t := strconv.AppendUint(make([]byte, 0, 10), uint64(s.Time), 10)
	for i := len(t); i < 10; i++ {
		b = append(b, '0')
	}
	b = append(b, t...)
	b = append(b, '-')
	b = strconv.AppendUint(b, uint64(s.Number), 10)
	return string(b)
}

// MsgID returns the id under which a Submit with this Seq is matched to its
// Report: String passed through protocol.NormalizeID.
func (s Seq) MsgID() string { return protocol.NormalizeID(s.String()) }

// ParseSeq reads the form String writes. Leading zeros are accepted in every
// part, so ParseSeq(id).MsgID() is the canonical form of id.
func ParseSeq(id string) (Seq, error) {
	parts := strings.Split(protocol.NormalizeID(id), "-")
	if len(parts) != 3 {
		return Seq{}, fmt.Errorf("sgip: message id %q: want NODE-MMDDHHMMSS-NUMBER", id)
	}
	var v [3]uint32
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return Seq{}, fmt.Errorf("sgip: message id %q: part %d: %w", id, i+1, err)
		}
		v[i] = uint32(n)
	}
	return Seq{Node: v[0], Time: v[1], Number: v[2]}, nil
}

func seqAt(b []byte) Seq {
	return Seq{
		Node:   binary.BigEndian.Uint32(b),
		Time:   binary.BigEndian.Uint32(b[4:]),
		Number: binary.BigEndian.Uint32(b[8:]),
	}
}

func (s Seq) appendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, s.Node)
	b = binary.BigEndian.AppendUint32(b, s.Time)
	return binary.BigEndian.AppendUint32(b, s.Number)
}

// Receipt returns the report in the common form: MsgID is SubmitSeq.MsgID();
// State 0 gives Stat "DELIVRD", State 2 (and any unknown state) "UNDELIV",
// and State 1, which is not final, "ENROUTE"; Err is the ErrorCode as three
// decimal digits ("000" when zero). SGIP reports carry no times, so
// Submitted and Done are zero.
func (p *Report) Receipt() protocol.Receipt {
	stat := "UNDELIV"
	switch p.State {
	case StateDelivered:
		stat = "DELIVRD"
	case StateWaiting:
		stat = "ENROUTE"
	}
	return protocol.Receipt{
		MsgID: p.SubmitSeq.MsgID(),
		Stat:  stat,
		Err:   fmt.Sprintf("%03d", p.ErrorCode),
		Dest:  p.UserNumber,
	}
}

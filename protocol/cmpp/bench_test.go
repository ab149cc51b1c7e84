package cmpp

import (
	"strings"
	"testing"
)

// benchSubmit is a 70-character UCS-2 CMPP 3.0 SUBMIT, one destination.
func benchSubmit() *Submit {
	return &Submit{
		Version: V30, Seq: 1, PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1,
		ServiceID: "12366", FeeUserType: 2, MsgFmt: FmtUCS2, MsgSrc: "900001", FeeType: "01",
		FeeCode: "000000", SrcID: "1066612366", DestTerminalIDs: []string{"13800138000"},
		Content: ucs2(strings.Repeat("税务局提醒您按时申报纳税。", 6)[:0] + strings.Repeat("税", 70)),
	}
}

// BenchmarkSubmit_MarshalParse marshals a 70-character UCS-2 CMPP 3.0
// SUBMIT into a reused buffer and parses it back. Target: < 300 ns, <= 2
// allocs/op.
func BenchmarkSubmit_MarshalParse(b *testing.B) {
	s := benchSubmit()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	b.SetBytes(int64(s.Len()))
	for b.Loop() {
		buf = s.AppendMarshal(buf[:0])
		p, err := Parse(V30, buf)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.(*Submit).Content) != 140 {
			b.Fatal("bad content")
		}
	}
}

func BenchmarkSubmit_Marshal(b *testing.B) {
	s := benchSubmit()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = s.AppendMarshal(buf[:0])
	}
}

func BenchmarkSubmit_Parse(b *testing.B) {
	buf := benchSubmit().AppendMarshal(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(V30, buf); err != nil {
			b.Fatal(err)
		}
	}
}

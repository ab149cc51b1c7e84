package sms

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// chinese300 is a 300-character Chinese text, as tax notices are.
var chinese300 = func() string {
	s := strings.Repeat("尊敬的纳税人：您本月的增值税申报期限为十五日，请及时办理申报缴税，如有疑问请拨打纳税服务热线。", 10)
	r := []rune(s)
	return string(r[:300])
}()

func BenchmarkSplit(b *testing.B) {
	if n := utf8.RuneCountInString(chinese300); n != 300 {
		b.Fatalf("text has %d characters, want 300", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		segs, err := Split(chinese300, SplitOptions{Coding: UCS2, Ref: 7, CarrierSignature: "【12366】"})
		if err != nil || len(segs) != 5 {
			b.Fatalf("Split = %d segments, %v", len(segs), err)
		}
	}
}

func BenchmarkCount(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		n, err := Count(chinese300, "【12366】", UCS2)
		if err != nil || n != 5 {
			b.Fatalf("Count = %d, %v", n, err)
		}
	}
}

func BenchmarkSplit_GB18030(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Split(chinese300, SplitOptions{Coding: GB18030, Ref: 7}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReassemble(b *testing.B) {
	segs, err := Split(chinese300, SplitOptions{Coding: UCS2, Ref: 7})
	if err != nil {
		b.Fatal(err)
	}
	contents := make([][]byte, len(segs))
	for i := range segs {
		contents[i] = segs[i].AppendContent(nil)
	}
	// Each round is a new message: the clock moves past the timeout, so
	// that the reused reference is not taken for a late copy.
	clk := newClock()
	r := NewReassembler(ReassemblerConfig{Now: clk.Now, Timeout: time.Second})
	b.ReportAllocs()
	for b.Loop() {
		clk.Advance(2 * time.Second)
		for _, c := range contents {
			if _, err := r.Add(Fragment{Source: "13800138000", Dest: "12366", Coding: UCS2, UDHI: true, Content: c}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

package sms

import (
	"bytes"
	"errors"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecode feeds arbitrary content to DecodeContent under every coding:
// no panic, valid UTF-8 out, and UCS-2 that decodes cleanly encodes back to
// the same bytes.
func FuzzDecode(f *testing.F) {
	for _, c := range smsgateContents {
		f.Add(unhex(f, c.hex), byte(8), true, false, 0)
	}
	f.Add(unhex(f, "0500030c0201 31d98c56b3dd1a"), byte(0xF1), true, true, 14)
	f.Add(unhex(f, "060504c34f0000 0106"), byte(0xF5), true, false, 0)
	f.Add(unhex(f, "d6d0cec4 9439fc36"), byte(15), false, false, 0)
	f.Add(unhex(f, "1b141b281b"), byte(0xF1), false, false, 0)
	f.Add(unhex(f, "0a0a030001020003 0c0302"), byte(0), true, false, 0)
	f.Fuzz(func(t *testing.T, content []byte, msgFmt byte, udhi, packed bool, septets int) {
		c := FromMsgFmt(msgFmt)
		text, h, err := DecodeContent(content, c, udhi, packed, septets%400)
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v does not wrap ErrInvalid", err)
		}
		if !utf8.ValidString(text) && c != Binary {
			t.Fatalf("Decode gave invalid UTF-8 %q", text)
		}
		if h.Len > len(content) {
			t.Fatalf("UDH.Len %d beyond content %d", h.Len, len(content))
		}
		if c == UCS2 && !udhi && err == nil {
			back, eerr := Encode(text, UCS2)
			if eerr != nil || !bytes.Equal(back, content) {
				t.Fatalf("UCS2 round trip: %x -> %q -> %x, %v", content, text, back, eerr)
			}
		}
	})
}

// FuzzReassemble reads the input as a stream of fragments (a byte of
// flags, then a length-prefixed content) and checks that the reassembler
// neither panics nor passes its bounds, and that it empties on expiry.
func FuzzReassemble(f *testing.F) {
	var seed []byte
	for i, c := range smsgateContents {
		b := unhex(f, c.hex)
		seed = append(seed, byte(i&3)|0x80, byte(len(b)))
		seed = append(seed, b...)
	}
	f.Add(seed)
	f.Add([]byte{0x80, 6, 5, 0, 3, 1, 2, 1, 0x81, 6, 5, 0, 3, 1, 2, 1, 0x40, 3, 'a', 'b', 'c'})
	f.Fuzz(func(t *testing.T, in []byte) {
		clk := newClock()
		const maxBytes = 8 << 10
		r := NewReassembler(ReassemblerConfig{Now: clk.Now, Timeout: time.Minute, MaxPending: 8, MaxPerSource: 3, MaxBytes: maxBytes})
		for len(in) >= 2 {
			flags, n := in[0], int(in[1])
			in = in[2:]
			n = min(n, len(in))
			content := in[:n]
			in = in[n:]
			fr := Fragment{
				Source:  string('a' + rune(flags&3)),
				Dest:    "12366",
				Coding:  []Coding{UCS2, ASCII, GSM7, GB18030}[(flags>>2)&3],
				Packed:  flags&0x10 != 0,
				UDHI:    flags&0x80 != 0,
				Content: content,
			}
			if flags&0x40 != 0 && n > 0 {
				fr.Ref, fr.Total, fr.Seq = uint16(content[0]), int(flags>>4&3)+1, int(flags>>2&3)+1
			}
			ms, err := r.Add(fr)
			if err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrFull) {
				t.Fatalf("Add: unexpected error %v", err)
			}
			for _, m := range ms {
				if m.Total < 1 || len(m.Missing) > m.Total {
					t.Fatalf("message with total %d, missing %v", m.Total, m.Missing)
				}
			}
			if st := r.Stats(); st.Bytes > maxBytes || st.Pending > 8 || st.Bytes < 0 {
				t.Fatalf("Stats = %+v beyond the bounds", st)
			}
			clk.Advance(time.Second)
		}
		r.Expire(clk.Now().Add(time.Hour))
		if st := r.Stats(); st.Pending != 0 || st.Bytes != 0 {
			t.Fatalf("after expiry Stats = %+v, want empty", st)
		}
	})
}

// FuzzSplit checks that Split and Count agree and that the segments join
// back to the text, with and without a carrier signature.
func FuzzSplit(f *testing.F) {
	f.Add(smsgateText, "", byte(8))
	f.Add("税务😀税务€[]", "【12366】", byte(8))
	f.Add("abc{}€", "", byte(0xF1))
	f.Add("中文a😀", "", byte(15))
	f.Fuzz(func(t *testing.T, text, sig string, msgFmt byte) {
		c := FromMsgFmt(msgFmt)
		if c == Binary {
			c = UCS2
		}
		if len(text) > 4000 || len(sig) > 100 {
			return
		}
		n, cerr := Count(text, sig, c)
		segs, serr := Split(text, SplitOptions{Coding: c, CarrierSignature: sig})
		if (cerr == nil) != (serr == nil) {
			t.Fatalf("Count err %v, Split err %v", cerr, serr)
		}
		if serr != nil {
			return
		}
		if n != len(segs) {
			t.Fatalf("Count = %d, len(Split) = %d", n, len(segs))
		}
		single, segCap := limits(c, ConcatUDH8)
		if len(segs) == 1 {
			segCap = single
		}
		var joined []byte
		for _, s := range segs {
			if units := len(s.Payload); units > segCap {
				t.Fatalf("segment of %d units, capacity %d", units, segCap)
			}
			joined = append(joined, s.Payload...)
		}
		want, _ := Encode(text, c)
		if !bytes.Equal(joined, want) {
			t.Fatalf("joined payloads %x, want %x", joined, want)
		}
	})
}

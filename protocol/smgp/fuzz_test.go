package smgp

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics, that what it accepts marshals
// back to a packet that parses to the same PDU (in both layouts), and that
// the Reader rejects over-long lengths before reading the body.
func FuzzParse(f *testing.F) {
	for _, v := range vectors(f) {
		f.Add(unhex(f, v.hex))
	}
	f.Add(unhex(f, "000000eb000000021b46734c0601020000000000000000000030303030303030300000000000000000000000000000000000000000000000000000000000000000000000313030383600000000000000000000000000000000000000000000000000000000000000000000000000013133383030313338303030000000000000000000002464666138656236612d616439662d343635342d393466612d66313134373138656430356100000000000000000001000100000200010000040001000005000100001400010100070001000009000101000a000101000b000100000c0001000012000441424300"))
	f.Add(unhex(f, "0000000d 80000004 00000017 00"))
	f.Add(unhex(f, "00001001 00000002 00000001"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, v := range []Version{V30, V13} {
			p, err := ParseVersion(b, v)
			if err != nil {
				continue
			}
			out := p.AppendMarshal(nil)
			if len(out) > MaxPacketLength {
				continue // string TLVs are padded to their spec width on the way out
			}
			q, err := ParseVersion(out, v)
			if err != nil {
				t.Fatalf("re-parse of %x (from %x): %v", out, b, err)
			}
			if !reflect.DeepEqual(p, q) {
				t.Fatalf("round trip changed the PDU:\n%#v\n%#v", p, q)
			}
			if again := q.AppendMarshal(nil); !bytes.Equal(again, out) {
				t.Fatalf("second marshal differs:\n%x\n%x", again, out)
			}
		}
		r := NewReader(bytes.NewReader(b))
		frame, err := r.ReadFrame()
		if err == nil && (len(frame) < HeaderLen || len(frame) > MaxPacketLength) {
			t.Fatalf("ReadFrame returned %d bytes", len(frame))
		}
		if cap(r.buf) > max(512, MaxPacketLength) {
			t.Fatalf("Reader buffer grew to %d", cap(r.buf))
		}
	})
}

// FuzzParseReport checks that ParseReport never panics and that a parsed
// report marshals to one that parses the same when its fields fit.
func FuzzParseReport(f *testing.F) {
	for _, s := range []string{
		"69643a01601712291424100007207375623a30303120646c7672643a303031205375626d697420646174653a3233313232393134323420646f6e6520646174653a3233313232393134323420737461743a52543a30313438206572723a31343820546578743a0000000000000000000000000000000000000000",
		"69643a04701501161242686134735375623a30303173446c7672643a303030735375626d69745f446174653a3234303131363132343273446f6e655f446174653a3234303131363132343273537461743a42574c49535453734572723a31363373546578743a30303742574c4953545300000000000000000000",
		"69643a6495c36ac4ea6b00000b7375623a30303120646c7672643a303031207375626d69745f646174653a3138303730353232303720646f6e655f646174653a3138303730353232303720737461743a44454c49565244206572723a303030207478743ad6d0b9fa306138616535",
	} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReport(b)
		if err != nil {
			return
		}
		_ = r.Receipt("")
		if bytes.ContainsAny([]byte(r.Text), "\x00") || len(r.Text) > 0 && r.Text[len(r.Text)-1] == 0 {
			return
		}
		back, err := ParseReport(r.AppendMarshal(nil))
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if back.MsgID != r.MsgID || back.Stat != r.Stat {
			t.Fatalf("round trip: %+v, want %+v", back, r)
		}
	})
}

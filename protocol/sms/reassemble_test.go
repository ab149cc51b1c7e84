package sms

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for the reassembler.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// smsgateFragments returns the four SMSGate fragments as inbound ones.
func smsgateFragments(t testing.TB) []Fragment {
	t.Helper()
	var fs []Fragment
	for _, c := range smsgateContents {
		fs = append(fs, Fragment{Source: "13800138000", Dest: "10086", Coding: c.coding, UDHI: true, Content: unhex(t, c.hex)})
	}
	return fs
}

func TestReassembler_Add(t *testing.T) {
	t.Run("OutOfOrderMixedCodingsDuplicated", func(t *testing.T) {
		r := NewReassembler(ReassemblerConfig{Now: newClock().Now})
		fs := smsgateFragments(t)
		var got []Message
		for _, i := range []int{3, 1, 1, 0, 3, 2} {
			ms, err := r.Add(fs[i])
			if err != nil {
				t.Fatalf("Add(%d): %v", i, err)
			}
			got = append(got, ms...)
		}
		if len(got) != 1 {
			t.Fatalf("got %d messages, want 1", len(got))
		}
		m := got[0]
		if m.Text != smsgateText || m.Incomplete() || m.Duplicates != 2 || m.Total != 4 || m.Ref != 0xe4 || m.Err != nil {
			t.Errorf("message = %+v, want complete text with 2 duplicates", m)
		}
		if st := r.Stats(); st.Pending != 0 || st.Bytes != 0 || st.Duplicates != 2 {
			t.Errorf("Stats = %+v, want nothing pending, 2 duplicates", st)
		}
	})
	t.Run("LateDuplicateAfterDelivery", func(t *testing.T) {
		clk := newClock()
		r := NewReassembler(ReassemblerConfig{Now: clk.Now, Timeout: time.Minute})
		fs := smsgateFragments(t)
		for _, f := range fs {
			if _, err := r.Add(f); err != nil {
				t.Fatal(err)
			}
		}
		clk.Advance(30 * time.Second)
		ms, err := r.Add(fs[2])
		if err != nil || len(ms) != 0 {
			t.Errorf("late copy: %d messages, %v; want none", len(ms), err)
		}
		if st := r.Stats(); st.Pending != 0 || st.Duplicates != 1 {
			t.Errorf("Stats = %+v, want nothing pending and 1 duplicate", st)
		}
		// A new message reusing the reference is not a copy.
		g := fs[2]
		g.Content = append([]byte(nil), g.Content...)
		g.Content[len(g.Content)-1] ^= 1
		if _, err := r.Add(g); err != nil {
			t.Fatal(err)
		}
		if st := r.Stats(); st.Pending != 1 {
			t.Errorf("Pending = %d, want 1", st.Pending)
		}
	})
	t.Run("Single", func(t *testing.T) {
		r := NewReassembler(ReassemblerConfig{})
		ms, err := r.Add(Fragment{Source: "1", Dest: "2", Coding: UCS2, Content: unhex(t, "7a0e52a1")})
		if err != nil || len(ms) != 1 || ms[0].Text != "税务" || ms[0].Total != 1 {
			t.Errorf("Add = %+v, %v, want one message 税务", ms, err)
		}
	})
	t.Run("SAR", func(t *testing.T) {
		r := NewReassembler(ReassemblerConfig{})
		var got []Message
		for _, f := range []Fragment{
			{Source: "1", Dest: "2", Coding: GSM7, Content: []byte("world"), Ref: 700, Total: 2, Seq: 2},
			{Source: "1", Dest: "2", Coding: GSM7, Content: []byte("hello "), Ref: 700, Total: 2, Seq: 1},
		} {
			ms, err := r.Add(f)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ms...)
		}
		if len(got) != 1 || got[0].Text != "hello world" || got[0].Ref != 700 {
			t.Errorf("messages = %+v, want one 'hello world' ref 700", got)
		}
	})
	t.Run("SplitRoundTrip", func(t *testing.T) {
		text := strings.Repeat("纳税服务热线12366😀", 30)
		for _, cc := range []Concat{ConcatUDH8, ConcatUDH16} {
			for _, c := range []Coding{UCS2, GB18030} {
				segs, err := Split(text, SplitOptions{Coding: c, Concat: cc, Ref: 300})
				if err != nil {
					t.Fatal(err)
				}
				r := NewReassembler(ReassemblerConfig{})
				var got []Message
				for i := len(segs) - 1; i >= 0; i-- {
					ms, err := r.Add(Fragment{Source: "a", Dest: "b", Coding: c, UDHI: true, Content: segs[i].AppendContent(nil)})
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, ms...)
				}
				if len(got) != 1 || got[0].Text != text {
					t.Errorf("%v %v: got %d messages, want the text back", cc, c, len(got))
				}
			}
		}
	})
	t.Run("PackedGSM7", func(t *testing.T) {
		text := strings.Repeat("Tax [office] 12366 ", 12)
		segs, err := Split(text, SplitOptions{Coding: GSM7, PackGSM7: true, Ref: 9})
		if err != nil {
			t.Fatal(err)
		}
		r := NewReassembler(ReassemblerConfig{})
		var got []Message
		for _, s := range segs {
			ms, err := r.Add(Fragment{Source: "a", Dest: "b", Coding: GSM7, Packed: true, Septets: 7 + s.Septets, UDHI: true, Content: s.AppendContent(nil)})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ms...)
		}
		if len(got) != 1 || got[0].Text != text {
			t.Errorf("got %+v, want the text back", got)
		}
	})
	t.Run("SurrogateCutBySender", func(t *testing.T) {
		// Some handsets cut a surrogate pair across segments; consecutive
		// parts in one coding are decoded together.
		r := NewReassembler(ReassemblerConfig{})
		var got []Message
		for _, h := range []string{"050003010201 0061d83d", "050003010202 de000062"} {
			ms, err := r.Add(Fragment{Source: "a", Dest: "b", Coding: UCS2, UDHI: true, Content: unhex(t, h)})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ms...)
		}
		if len(got) != 1 || got[0].Text != "a😀b" || got[0].Err != nil {
			t.Errorf("got %+v, want a😀b", got)
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		r := NewReassembler(ReassemblerConfig{})
		if _, err := r.Add(Fragment{UDHI: true, Content: []byte{7, 0, 3}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad UDH: err = %v, want ErrInvalid", err)
		}
		if _, err := r.Add(Fragment{Content: []byte("x"), Total: 3, Seq: 4}); !errors.Is(err, ErrInvalid) {
			t.Errorf("seq above total: err = %v, want ErrInvalid", err)
		}
		if _, err := r.Add(Fragment{Content: []byte("x"), Total: 300, Seq: 4}); !errors.Is(err, ErrInvalid) {
			t.Errorf("total above 255: err = %v, want ErrInvalid", err)
		}
		if st := r.Stats(); st.Pending != 0 || st.Bytes != 0 {
			t.Errorf("Stats = %+v, want nothing kept", st)
		}
	})
}

func TestReassembler_Expire(t *testing.T) {
	clk := newClock()
	r := NewReassembler(ReassemblerConfig{Now: clk.Now, Timeout: time.Minute, Gap: "…"})
	fs := smsgateFragments(t)
	if _, err := r.Add(fs[0]); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Second)
	if _, err := r.Add(fs[2]); err != nil {
		t.Fatal(err)
	}
	if ms := r.Expire(clk.Now().Add(49 * time.Second)); len(ms) != 0 {
		t.Fatalf("Expire before the timeout returned %d messages", len(ms))
	}
	ms := r.Expire(clk.Now().Add(50 * time.Second))
	if len(ms) != 1 {
		t.Fatalf("Expire returned %d messages, want 1", len(ms))
	}
	m := ms[0]
	if !m.Incomplete() || !slices.Equal(m.Missing, []int{2, 4}) {
		t.Errorf("Missing = %v, want [2 4]", m.Missing)
	}
	if !strings.HasPrefix(m.Text, "尊敬的客户") || strings.Count(m.Text, "…") != 2 || !strings.HasSuffix(m.Text, "…") {
		t.Errorf("Text = %q, want part 1, gap, part 3, gap", m.Text)
	}
	if st := r.Stats(); st.Pending != 0 || st.Bytes != 0 || st.Expired != 1 {
		t.Errorf("Stats = %+v, want nothing pending, 1 expired", st)
	}
}

func TestReassembler_Bounds(t *testing.T) {
	frag := func(src string, ref uint16, seq int) Fragment {
		return Fragment{Source: src, Dest: "12366", Coding: ASCII, Content: []byte(fmt.Sprintf("part %d of %d", seq, ref)), Ref: ref, Total: 3, Seq: seq}
	}
	t.Run("MaxPending", func(t *testing.T) {
		r := NewReassembler(ReassemblerConfig{MaxPending: 3})
		var evicted []Message
		for i := range 5 {
			ms, err := r.Add(frag(fmt.Sprint(i), 1, 1))
			if err != nil {
				t.Fatal(err)
			}
			evicted = append(evicted, ms...)
		}
		if len(evicted) != 2 || evicted[0].Source != "0" || evicted[1].Source != "1" || !evicted[0].Evicted {
			t.Errorf("evicted = %+v, want sources 0 and 1 evicted", evicted)
		}
		if st := r.Stats(); st.Pending != 3 || st.Evicted != 2 {
			t.Errorf("Stats = %+v, want 3 pending, 2 evicted", st)
		}
	})
	t.Run("MaxPerSource", func(t *testing.T) {
		r := NewReassembler(ReassemblerConfig{MaxPerSource: 2})
		var evicted []Message
		for _, f := range []Fragment{frag("good", 1, 1), frag("bad", 1, 1), frag("bad", 2, 1), frag("bad", 3, 1)} {
			ms, err := r.Add(f)
			if err != nil {
				t.Fatal(err)
			}
			evicted = append(evicted, ms...)
		}
		if len(evicted) != 1 || evicted[0].Source != "bad" || evicted[0].Ref != 1 {
			t.Errorf("evicted = %+v, want bad's ref 1", evicted)
		}
		if st := r.Stats(); st.Pending != 3 {
			t.Errorf("Pending = %d, want 3", st.Pending)
		}
	})
	t.Run("MaxBytes", func(t *testing.T) {
		per := overheadMessage + 3*overheadPart + 12
		r := NewReassembler(ReassemblerConfig{MaxBytes: 2*per + 5})
		var evicted []Message
		for i := range 4 {
			ms, err := r.Add(frag(fmt.Sprint(i), 1, 1))
			if err != nil {
				t.Fatal(err)
			}
			evicted = append(evicted, ms...)
			if b := r.Stats().Bytes; b > 2*per+5 {
				t.Fatalf("Bytes = %d, above the bound %d", b, 2*per+5)
			}
		}
		if len(evicted) != 2 {
			t.Errorf("evicted %d, want 2", len(evicted))
		}
		if _, err := r.Add(Fragment{Content: make([]byte, 3*per), Total: 2, Seq: 1}); !errors.Is(err, ErrFull) {
			t.Errorf("huge fragment: err = %v, want ErrFull", err)
		}
	})
	t.Run("OneMessageTooBig", func(t *testing.T) {
		per := overheadMessage + 3*overheadPart
		r := NewReassembler(ReassemblerConfig{MaxBytes: per + 150})
		big := func(seq int) Fragment {
			return Fragment{Source: "s", Dest: "d", Coding: Binary, Content: make([]byte, 100), Total: 3, Seq: seq}
		}
		if _, err := r.Add(big(1)); err != nil {
			t.Fatal(err)
		}
		ms, err := r.Add(big(2))
		if err != nil || len(ms) != 1 || !ms[0].Evicted || !slices.Equal(ms[0].Missing, []int{2, 3}) {
			t.Errorf("Add = %+v, %v; want the first part evicted", ms, err)
		}
		if st := r.Stats(); st.Pending != 1 || st.Bytes > per+150 {
			t.Errorf("Stats = %+v, want 1 pending within bounds", st)
		}
	})
}

func TestReassembler_Concurrent(t *testing.T) {
	r := NewReassembler(ReassemblerConfig{})
	text := strings.Repeat("纳税申报提醒", 40)
	const senders = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	var got []Message
	for s := range senders {
		segs, err := Split(text, SplitOptions{Coding: UCS2, Ref: uint16(s)})
		if err != nil {
			t.Fatal(err)
		}
		// Each segment arrives twice, on two "connections".
		for conn := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range segs {
					k := i
					if conn == 1 {
						k = len(segs) - 1 - i
					}
					ms, err := r.Add(Fragment{Source: fmt.Sprint("139", s), Dest: "12366", Coding: UCS2, UDHI: true, Content: segs[k].AppendContent(nil)})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					got = append(got, ms...)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if len(got) != senders {
		t.Fatalf("got %d messages, want %d", len(got), senders)
	}
	for _, m := range got {
		if m.Text != text || m.Incomplete() {
			t.Errorf("message from %s incomplete or wrong", m.Source)
		}
	}
	if st := r.Stats(); st.Pending != 0 || st.Duplicates != senders*4 {
		t.Errorf("Stats = %+v, want 0 pending and %d duplicates", st, senders*4)
	}
}

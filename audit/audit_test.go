package audit_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
)

var t0 = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// chain returns n sealed entries, seq 1..n.
func chain(n int) []audit.Entry {
	out := make([]audit.Entry, n)
	prev := audit.Genesis()
	for i := range out {
		e := &out[i]
		*e = audit.Entry{Seq: int64(i + 1), At: t0.Add(time.Duration(i) * time.Second),
			Actor: audit.User(7, "li.qiang", taxsms.RoleCityAdmin), Action: audit.MessageSent,
			Object: audit.Object{Type: "message", ID: fmt.Sprint(100 + i)}, IP: "10.1.2.3",
			Detail: fmt.Sprintf("to 138****%04d", i)}
		e.Seal(prev)
		prev = e.Hash
	}
	return out
}

func seq(entries []audit.Entry) iter.Seq2[audit.Entry, error] {
	return func(yield func(audit.Entry, error) bool) {
		for _, e := range entries {
			if !yield(e, nil) {
				return
			}
		}
	}
}

func TestCanonical(t *testing.T) {
	e := audit.Entry{Seq: 1, At: time.UnixMilli(0x0102030405), Actor: audit.User(2, "ab", "r"),
		Action: audit.UserChanged, Object: audit.Object{Type: "user", ID: "2"},
		Before: json.RawMessage(`{}`), After: json.RawMessage(`[]`), IP: "::1", UserAgent: "u", Detail: "d"}
	got := hex.EncodeToString(e.AppendCanonical(nil))
	want := hex.EncodeToString([]byte("taxsms-audit/1")) +
		"0000000000000001" + "0000000102030405" + // seq, at
		"00000004" + hex.EncodeToString([]byte("user")) + "0000000000000002" +
		"00000002" + "6162" + "00000001" + "72" + // login, role
		"0000000c" + hex.EncodeToString([]byte("user_changed")) +
		"00000004" + hex.EncodeToString([]byte("user")) + "00000001" + "32" +
		"00000002" + "7b7d" + "00000002" + "5b5d" +
		"00000003" + "3a3a31" + "00000001" + "75" + "00000001" + "64"
	if got != want {
		t.Errorf("canonical =\n%s\nwant\n%s", got, want)
	}
	// The genesis hash and a first link are part of the format: pin them.
	if got, want := audit.Genesis().String(), "d256530352b09e5b2f5a39b6c49ed524601caba5953e97230014c14be5b24ac3"; got != want {
		t.Errorf("Genesis = %s, want %s", got, want)
	}
	e.Seal(audit.Genesis())
	if got, want := e.Hash.String(), "dcdc9b184c150ba3296ac50566b9be5302a04f3301d589d90cfa175354d8e180"; got != want {
		t.Errorf("Hash = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	for _, tt := range []struct {
		name    string
		tamper  func(c []audit.Entry) []audit.Entry
		checked int
		want    *audit.Broken
	}{
		{"OK", func(c []audit.Entry) []audit.Entry { return c }, 10, nil},
		{"Empty", func(c []audit.Entry) []audit.Entry { return nil }, 0, nil},
		{"AlteredDetail", func(c []audit.Entry) []audit.Entry { c[3].Detail = "to 139****0000"; return c }, 3,
			&audit.Broken{Seq: 4, Fault: audit.Altered}},
		{"AlteredTime", func(c []audit.Entry) []audit.Entry { c[0].At = c[0].At.Add(time.Millisecond); return c }, 0,
			&audit.Broken{Seq: 1, Fault: audit.Altered}},
		{"AlteredHash", func(c []audit.Entry) []audit.Entry { c[9].Hash[0] ^= 1; return c }, 9,
			&audit.Broken{Seq: 10, Fault: audit.Altered}},
		{"Resealed", func(c []audit.Entry) []audit.Entry {
			// Altered and re-hashed, but the next record still follows the old hash.
			c[4].Detail = "nothing"
			c[4].Seal(c[4].Prev)
			return c
		}, 5, &audit.Broken{Seq: 6, Fault: audit.Inserted}},
		{"DeletedMiddle", func(c []audit.Entry) []audit.Entry { return append(c[:4], c[5:]...) }, 4,
			&audit.Broken{Seq: 5, Fault: audit.Deleted, Other: 6}},
		{"DeletedFirstTwo", func(c []audit.Entry) []audit.Entry { return c[2:] }, 0,
			&audit.Broken{Seq: 1, Fault: audit.Deleted, Other: 3}},
		{"Swapped", func(c []audit.Entry) []audit.Entry {
			c[2], c[4] = c[4], c[2]
			c[2].Seq, c[4].Seq = 3, 5
			return c
		}, 2, &audit.Broken{Seq: 3, Fault: audit.Reordered, Other: 5}},
		{"OutOfOrder", func(c []audit.Entry) []audit.Entry { c[2], c[4] = c[4], c[2]; return c }, 2,
			&audit.Broken{Seq: 3, Fault: audit.Deleted, Other: 5}},
		{"Repeated", func(c []audit.Entry) []audit.Entry { return append(c[:3], c[2:]...) }, 3,
			&audit.Broken{Seq: 3, Fault: audit.Reordered}},
		{"InsertedRenumbered", func(c []audit.Entry) []audit.Entry {
			// A forged record 4 chained after 3; the old 4.. pushed up by one.
			forged := c[3]
			forged.Detail = "forged"
			forged.Seal(c[2].Hash)
			out := append(append(append([]audit.Entry{}, c[:3]...), forged), c[3:]...)
			for i := range out {
				out[i].Seq = int64(i + 1)
			}
			return out
		}, 3, &audit.Broken{Seq: 4, Fault: audit.Inserted, Other: 5}},
		{"InsertedAtEnd", func(c []audit.Entry) []audit.Entry {
			forged := audit.Entry{Seq: 11, At: t0, Actor: audit.System, Action: audit.ConfigChanged}
			forged.Seal(audit.Genesis())
			return append(c, forged)
		}, 10, &audit.Broken{Seq: 11, Fault: audit.Inserted}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checked, broken, err := audit.Verify(seq(tt.tamper(chain(10))))
			if err != nil {
				t.Fatal(err)
			}
			if checked != tt.checked {
				t.Errorf("checked = %d, want %d", checked, tt.checked)
			}
			switch {
			case (broken == nil) != (tt.want == nil):
				t.Fatalf("broken = %v, want %v", broken, tt.want)
			case broken != nil && *broken != *tt.want:
				t.Errorf("broken = %+v (%v), want %+v", *broken, broken, *tt.want)
			}
		})
	}
}

func TestVerifyFrom(t *testing.T) {
	c := chain(10)
	checked, broken, err := audit.VerifyFrom(audit.Anchor{Seq: 4, Hash: c[3].Hash}, seq(c[4:]))
	if err != nil || broken != nil || checked != 6 {
		t.Errorf("VerifyFrom(anchor 4) = %d, %v, %v, want 6 intact", checked, broken, err)
	}
	_, broken, _ = audit.VerifyFrom(audit.Anchor{Seq: 4, Hash: c[2].Hash}, seq(c[4:]))
	if broken == nil || broken.Seq != 5 || broken.Fault != audit.Inserted {
		t.Errorf("VerifyFrom(wrong anchor hash) = %v, want inserted at 5", broken)
	}

	t.Run("ErrSource", func(t *testing.T) {
		boom := errors.New("connection lost")
		src := func(yield func(audit.Entry, error) bool) {
			if yield(c[0], nil) {
				yield(audit.Entry{}, boom)
			}
		}
		checked, broken, err := audit.Verify(src)
		if !errors.Is(err, boom) || broken != nil || checked != 1 {
			t.Errorf("Verify = %d, %v, %v, want 1, nil, %v", checked, broken, err, boom)
		}
	})
}

func TestEntry_Validate(t *testing.T) {
	ok := func() audit.Entry {
		return audit.Entry{At: t0, Actor: audit.User(1, "admin", taxsms.RoleCityAdmin), Action: audit.UserChanged,
			Object: audit.Object{Type: "user", ID: "9"}, Before: json.RawMessage(`{"mobile":"139****0001"}`),
			After: json.RawMessage(`{"mobile":"139****0002"}`), IP: "2001:db8::1", UserAgent: "Mozilla/5.0"}
	}
	for _, tt := range []struct {
		name   string
		change func(e *audit.Entry)
		field  string
	}{
		{"OK", func(e *audit.Entry) {}, ""},
		{"System", func(e *audit.Entry) { e.Actor, e.IP, e.UserAgent = audit.System, "", "" }, ""},
		{"Key", func(e *audit.Entry) { e.Actor = audit.Key("core-1") }, ""},
		{"FailedUnknownLogin", func(e *audit.Entry) { e.Actor = audit.User(0, "nobody", ""); e.Action = audit.SignInFailed }, ""},
		{"Timestamps", func(e *audit.Entry) { e.After = json.RawMessage(`{"updated_at":1764752400000}`) }, ""},
		{"ErrAt", func(e *audit.Entry) { e.At = time.Time{} }, "at"},
		{"ErrActorKind", func(e *audit.Entry) { e.Actor.Kind = "robot" }, "actor"},
		{"ErrActorLogin", func(e *audit.Entry) { e.Actor.Login = "" }, "actor"},
		{"ErrSystemWithUser", func(e *audit.Entry) { e.Actor = audit.Actor{Kind: audit.ActorSystem, UserID: 3} }, "actor"},
		{"ErrAction", func(e *audit.Entry) { e.Action = "deleted_everything" }, "action"},
		{"ErrObjectType", func(e *audit.Entry) { e.Object.Type = "" }, "object"},
		{"ErrBeforeJSON", func(e *audit.Entry) { e.Before = json.RawMessage(`{mobile:}`) }, "before"},
		{"ErrAfterMobile", func(e *audit.Entry) { e.After = json.RawMessage(`{"mobile":"13900000002"}`) }, "after"},
		{"ErrDetailMobile", func(e *audit.Entry) { e.Detail = "sent to +8613812345678" }, "detail"},
		{"ErrObjectMobile", func(e *audit.Entry) { e.Object.ID = "18612345678" }, "object"},
		{"ErrDetailLong", func(e *audit.Entry) { e.Detail = strings.Repeat("x", audit.MaxDetail+1) }, "detail"},
		{"ErrDetailUTF8", func(e *audit.Entry) { e.Detail = "\xff" }, "detail"},
		{"ErrDetailNUL", func(e *audit.Entry) { e.Detail = "a\x00b" }, "detail"},
		{"ErrIP", func(e *audit.Entry) { e.IP = "10.1.2" }, "ip"},
		{"ErrUserAgent", func(e *audit.Entry) { e.UserAgent = strings.Repeat("x", audit.MaxUserAgent+1) }, "user_agent"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := ok()
			tt.change(&e)
			err := e.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if taxsms.ErrorCode(err) != taxsms.EINVALID || taxsms.ErrorField(err) != tt.field {
				t.Errorf("Validate = %v (field %q), want EINVALID on %q", err, taxsms.ErrorField(err), tt.field)
			}
		})
	}
}

func TestRetention_Validate(t *testing.T) {
	for _, tt := range []struct {
		name  string
		r     audit.Retention
		field string
	}{
		{"Default", audit.DefaultRetention(), ""},
		{"SixMonths", audit.Retention{Audit: audit.MinRetention, MessageContent: audit.MinRetention}, ""},
		{"ErrAudit", audit.Retention{Audit: 90 * audit.Day, MessageContent: audit.DefaultMessageContent}, "audit"},
		{"ErrContent", audit.Retention{Audit: audit.DefaultAudit, MessageContent: audit.MinRetention - time.Hour}, "message_content"},
		{"ErrZero", audit.Retention{}, "audit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Validate()
			if got := taxsms.ErrorField(err); got != tt.field || (tt.field != "" && taxsms.ErrorCode(err) != taxsms.EINVALID) {
				t.Errorf("Validate = %v (field %q), want field %q", err, got, tt.field)
			}
		})
	}
	r := audit.DefaultRetention()
	a, c := r.Cutoffs(t0)
	if want := t0.AddDate(-3, 0, 0); a.After(want) {
		t.Errorf("audit cutoff %v is after three years back (%v)", a, want)
	}
	if want := t0.AddDate(-1, 0, 0); c.After(want) {
		t.Errorf("content cutoff %v is after a year back (%v)", c, want)
	}
}

// chainFunc is an audit.Chain over a slice.
type chainFunc []audit.Entry

func (c chainFunc) VerifyAudit(context.Context) (int, *audit.Broken, error) {
	return audit.Verify(seq(c))
}

func (c chainFunc) AuditHead(context.Context) (audit.Anchor, error) {
	if len(c) == 0 {
		return audit.Anchor{Hash: audit.Genesis()}, nil
	}
	return audit.Anchor{Seq: c[len(c)-1].Seq, Hash: c[len(c)-1].Hash}, nil
}

func TestRunVerify(t *testing.T) {
	var out strings.Builder
	c := chain(3)
	if err := audit.RunVerify(context.Background(), chainFunc(c), &out); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("audit chain verified: 3 records\nhead: record 3, hash %s\n", c[2].Hash); out.String() != want {
		t.Errorf("output = %q, want %q", out.String(), want)
	}
	out.Reset()
	c[1].Detail = "edited"
	err := audit.RunVerify(context.Background(), chainFunc(c), &out)
	var broken *audit.Broken
	if !errors.As(err, &broken) || broken.Seq != 2 {
		t.Fatalf("RunVerify = %v, want *Broken at 2", err)
	}
	if want := "audit chain broken at record 2: altered: record 2 does not match its hash\n"; out.String() != want {
		t.Errorf("output = %q, want %q", out.String(), want)
	}
}

func BenchmarkVerify(b *testing.B) {
	c := chain(10000)
	b.ResetTimer()
	for b.Loop() {
		n, broken, err := audit.Verify(seq(c))
		if err != nil || broken != nil || n != len(c) {
			b.Fatal(n, broken, err)
		}
	}
	b.ReportMetric(float64(len(c)*b.N)/b.Elapsed().Seconds(), "records/s")
}

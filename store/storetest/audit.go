package storetest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/store"
)

// testAudit is the conformance suite of the audit archive.
func testAudit(t *testing.T, engine string) {
	t.Run("AppendVerify", func(t *testing.T) { testAuditAppend(t, Open(t, engine)) })
	t.Run("List", func(t *testing.T) { testAuditList(t, Open(t, engine)) })
	t.Run("Tamper", func(t *testing.T) { testAuditTamper(t, engine) })
	t.Run("Concurrent", func(t *testing.T) {
		testAuditConcurrent(t, OpenDSN(t, DSN(t, engine, "sqlite:"+t.TempDir()+"/audit.db"), Box(t)))
	})
	t.Run("Prune", func(t *testing.T) { testAuditPrune(t, Open(t, engine)) })
}

var auditT0 = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// auditEntries returns n entries of every kind of actor, a second apart from at.
func auditEntries(n int, at time.Time) []audit.Entry {
	admin := audit.User(7, "li.qiang", taxsms.RoleCityAdmin)
	out := make([]audit.Entry, n)
	for i := range out {
		e := audit.Entry{At: at.Add(time.Duration(i) * time.Second), Actor: admin, Action: audit.MessageSent,
			Object: audit.Object{Type: "message", ID: fmt.Sprint(1000 + i)}, IP: "10.1.2.3",
			UserAgent: "Mozilla/5.0", Detail: fmt.Sprintf("催报提醒 to 138****%04d", i)}
		switch i % 4 {
		case 1:
			e.Action, e.Object = audit.UserChanged, audit.Object{Type: "user", ID: "12"}
			e.Before, e.After = json.RawMessage(`{"role": "operator", "mobile":"139****0001"}`), json.RawMessage(`{"role":"branch_admin"}`)
		case 2:
			e.Actor, e.IP, e.UserAgent = audit.System, "", ""
		case 3:
			e.Actor, e.Action, e.IP = audit.Key("core-1"), audit.Exported, "2001:db8::7"
		}
		out[i] = e
	}
	return out
}

func verifyAudit(t testing.TB, db *store.DB) (int, *audit.Broken) {
	t.Helper()
	n, broken, err := db.VerifyAudit(context.Background())
	must(t, err)
	return n, broken
}

func exportAudit(t testing.TB, db *store.DB, f audit.Filter) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	for e, err := range db.ExportAudit(context.Background(), f) {
		must(t, err)
		out = append(out, e)
	}
	return out
}

func testAuditAppend(t *testing.T, db *store.DB) {
	ctx := context.Background()
	db.Now = func() time.Time { return auditT0.Add(time.Hour + 1234567) }
	if n, broken := verifyAudit(t, db); n != 0 || broken != nil {
		t.Fatalf("VerifyAudit of an empty archive = %d, %v", n, broken)
	}
	want := auditEntries(9, auditT0)
	must(t, db.AppendAudit(ctx, want[0]))
	must(t, db.AppendAudit(ctx, want[1:6]...))
	must(t, db.AppendAudit(ctx, want[6:]...))
	must(t, db.AppendAudit(ctx, audit.Entry{Actor: audit.System, Action: audit.ConfigChanged})) // At from Now
	got := exportAudit(t, db, audit.Filter{})
	if len(got) != 10 {
		t.Fatalf("ExportAudit = %d records, want 10", len(got))
	}
	prev := audit.Genesis()
	for i, e := range got {
		if e.Seq != int64(i+1) || e.Prev != prev || e.Hash != audit.Sum(prev, &e) {
			t.Errorf("record %d: seq %d, prev %s, hash %s: not chained", i+1, e.Seq, e.Prev, e.Hash)
		}
		prev = e.Hash
		if i == 9 {
			if !e.At.Equal(auditT0.Add(time.Hour + time.Millisecond)) {
				t.Errorf("At from Now = %v, want %v (kept to the millisecond)", e.At, auditT0.Add(time.Hour+time.Millisecond))
			}
			continue
		}
		w := want[i]
		if !e.At.Equal(w.At) || e.Actor != w.Actor || e.Action != w.Action || e.Object != w.Object ||
			string(e.Before) != string(w.Before) || string(e.After) != string(w.After) ||
			e.IP != w.IP || e.UserAgent != w.UserAgent || e.Detail != w.Detail {
			t.Errorf("record %d = %+v, want %+v", i+1, e, w)
		}
	}
	n, broken := verifyAudit(t, db)
	if n != 10 || broken != nil {
		t.Errorf("VerifyAudit = %d, %v, want 10 intact", n, broken)
	}
	head, err := db.AuditHead(ctx)
	must(t, err)
	if head.Seq != 10 || head.Hash != got[9].Hash {
		t.Errorf("AuditHead = %d %s, want 10 %s", head.Seq, head.Hash, got[9].Hash)
	}

	t.Run("ErrInvalid", func(t *testing.T) {
		bad := auditEntries(3, auditT0)
		bad[1].Detail = "sent to 13812345678"
		wantCode(t, db.AppendAudit(ctx, bad...), taxsms.EINVALID, "detail")
		bad = auditEntries(1, auditT0)
		bad[0].Action = "shred"
		wantCode(t, db.AppendAudit(ctx, bad...), taxsms.EINVALID, "action")
		if head, _ := db.AuditHead(ctx); head.Seq != 10 {
			t.Errorf("head after refused appends = %d, want 10: a refused batch left records", head.Seq)
		}
	})
}

func testAuditList(t *testing.T, db *store.DB) {
	ctx := context.Background()
	must(t, db.AppendAudit(ctx, auditEntries(40, auditT0)...))
	for _, tt := range []struct {
		name string
		f    audit.Filter
		want int
	}{
		{"All", audit.Filter{Limit: 100}, 40},
		{"DefaultLimit", audit.Filter{}, 40},
		{"Limit", audit.Filter{Limit: 7}, 7},
		{"Before", audit.Filter{Before: 11}, 10},
		{"From", audit.Filter{From: auditT0.Add(30 * time.Second)}, 10},
		{"FromTo", audit.Filter{From: auditT0.Add(10 * time.Second), To: auditT0.Add(20 * time.Second)}, 10},
		{"User", audit.Filter{UserID: 7}, 20},
		{"Key", audit.Filter{Login: "core-1"}, 10},
		{"Action", audit.Filter{Action: audit.UserChanged}, 10},
		{"Object", audit.Filter{ObjectType: "message", ObjectID: "1004"}, 1},
		{"ObjectType", audit.Filter{ObjectType: "user"}, 10},
		{"IP", audit.Filter{IP: "2001:db8::7"}, 10},
		{"Contains", audit.Filter{Contains: "138****002"}, 10},
		{"ContainsLiteral", audit.Filter{Contains: "%"}, 0},
		{"Combined", audit.Filter{Action: audit.MessageSent, UserID: 7, Before: 20}, 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.ListAudit(ctx, tt.f)
			must(t, err)
			if len(got) != tt.want {
				t.Fatalf("ListAudit(%+v) = %d records, want %d", tt.f, len(got), tt.want)
			}
			for i := 1; i < len(got); i++ {
				if got[i].Seq >= got[i-1].Seq {
					t.Fatalf("ListAudit: seq %d after %d, want newest first", got[i].Seq, got[i-1].Seq)
				}
			}
			exported := exportAudit(t, db, tt.f)
			if tt.f.Limit == 0 && tt.f.Before == 0 && len(exported) != tt.want {
				t.Errorf("ExportAudit(%+v) = %d records, want %d", tt.f, len(exported), tt.want)
			}
		})
	}
}

// rawDB opens the database behind dsn directly, as someone with the
// database's credentials would, to tamper with it.
func rawDB(t testing.TB, engine, dsn string) *sql.DB {
	t.Helper()
	driver, src := "pgx", dsn
	if engine != "postgres" {
		driver, src = "sqlite", "file:"+strings.TrimPrefix(dsn, "sqlite:")+"?_pragma=busy_timeout(10000)"
	}
	raw, err := sql.Open(driver, src)
	must(t, err)
	t.Cleanup(func() { raw.Close() })
	return raw
}

func testAuditTamper(t *testing.T, engine string) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		sql  []string
		want audit.Broken
	}{
		{"Update", []string{`UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 4`},
			audit.Broken{Seq: 4, Fault: audit.Altered}},
		{"UpdateHash", []string{`UPDATE audit_log SET hash = prev_hash WHERE seq = 10`},
			audit.Broken{Seq: 10, Fault: audit.Altered}},
		{"Delete", []string{`DELETE FROM audit_log WHERE seq = 5`},
			audit.Broken{Seq: 5, Fault: audit.Deleted, Other: 6}},
		{"Swap", []string{
			`UPDATE audit_log SET seq = -3 WHERE seq = 3`,
			`UPDATE audit_log SET seq = 3 WHERE seq = 7`,
			`UPDATE audit_log SET seq = 7 WHERE seq = -3`,
		}, audit.Broken{Seq: 3, Fault: audit.Reordered, Other: 7}},
		{"InsertAtEnd", []string{
			`INSERT INTO audit_log (seq, at, actor_kind, action, prev_hash, hash)
			 SELECT 11, at, 'system', 'config_changed', hash, hash FROM audit_log WHERE seq = 10`,
		}, audit.Broken{Seq: 11, Fault: audit.Altered}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dsn := DSN(t, engine, "sqlite:"+t.TempDir()+"/audit.db")
			db := OpenDSN(t, dsn, Box(t))
			must(t, db.AppendAudit(ctx, auditEntries(10, auditT0)...))
			raw := rawDB(t, engine, dsn)
			if q := tt.sql[0]; !strings.HasPrefix(q, "INSERT") { // appending is what the table is for
				if _, err := raw.ExecContext(ctx, q); err == nil {
					t.Fatalf("%s: the trigger let it through", q)
				}
			}
			if n, broken := verifyAudit(t, db); n != 10 || broken != nil {
				t.Fatalf("VerifyAudit after refused tampering = %d, %v, want 10 intact", n, broken)
			}
			drop := []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`}
			if engine == "postgres" {
				drop = []string{`DROP TRIGGER audit_log_guard ON audit_log`}
			}
			for _, q := range append(drop, tt.sql...) {
				if _, err := raw.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			_, broken := verifyAudit(t, db)
			if broken == nil || *broken != tt.want {
				t.Fatalf("VerifyAudit = %v, want %+v", broken, tt.want)
			}
			var out strings.Builder
			if err := audit.RunVerify(ctx, db, &out); err == nil || !strings.HasPrefix(out.String(), fmt.Sprintf("audit chain broken at record %d: %s", tt.want.Seq, tt.want.Fault)) {
				t.Errorf("RunVerify = %v, %q", err, out.String())
			}
		})
	}
}

// testAuditConcurrent appends from several goroutines (several connections,
// and on PostgreSQL several transactions at once): one unbroken chain.
func testAuditConcurrent(t *testing.T, db *store.DB) {
	ctx := context.Background()
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				batch := auditEntries(1+i%3, auditT0)
				for j := range batch {
					batch[j].Detail = fmt.Sprintf("worker %d append %d", w, i)
				}
				if err := db.AppendAudit(ctx, batch...); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := 0
	for i := range each {
		want += workers * (1 + i%3)
	}
	n, broken := verifyAudit(t, db)
	if n != want || broken != nil {
		t.Errorf("VerifyAudit after concurrent appends = %d, %v, want %d intact", n, broken, want)
	}
}

func testAuditPrune(t *testing.T, db *store.DB) {
	ctx := context.Background()
	clk := &clock{t: auditT0}
	db.Now = clk.Now
	// Records 1-20 a day apart, then a late-stamped one among early ones.
	entries := auditEntries(30, auditT0)
	for i := range entries {
		entries[i].At = auditT0.Add(time.Duration(i) * 24 * time.Hour)
	}
	entries[25].At = auditT0.Add(2 * 365 * 24 * time.Hour)
	must(t, db.AppendAudit(ctx, entries...))
	clk.Add(3 * 365 * 24 * time.Hour)

	t.Run("ErrTooRecent", func(t *testing.T) {
		_, err := db.PruneAudit(ctx, clk.Now().Add(-90*24*time.Hour))
		wantCode(t, err, taxsms.EINVALID, "before")
	})
	removed, err := db.PruneAudit(ctx, auditT0.Add(10*24*time.Hour))
	must(t, err)
	if removed != 10 {
		t.Errorf("PruneAudit = %d removed, want 10", removed)
	}
	if n, broken := verifyAudit(t, db); n != 21 || broken != nil { // 11-30 and the prune's record
		t.Errorf("VerifyAudit after prune = %d, %v, want 21 intact", n, broken)
	}
	last := exportAudit(t, db, audit.Filter{Action: audit.AuditPruned})
	if len(last) != 1 || last[0].Seq != 31 || last[0].Actor != audit.System || !strings.Contains(last[0].Detail, "records 1 to 10") {
		t.Errorf("prune record = %+v", last)
	}
	if again, err := db.PruneAudit(ctx, auditT0.Add(10*24*time.Hour)); err != nil || again != 0 {
		t.Errorf("PruneAudit again = %d, %v, want 0", again, err)
	}

	// The record stamped two years on stops the prefix at 25.
	removed, err = db.PruneAudit(ctx, auditT0.Add(365*24*time.Hour))
	must(t, err)
	if removed != 15 {
		t.Errorf("PruneAudit past a late record = %d removed, want 15 (11-25)", removed)
	}
	must(t, db.AppendAudit(ctx, auditEntries(3, clk.Now())...))
	if n, broken := verifyAudit(t, db); n != 5+1+1+3 || broken != nil {
		t.Errorf("VerifyAudit = %d, %v, want 10 intact", n, broken)
	}

	// Everything goes: the chain goes on from the anchor.
	clk.Add(3 * 365 * 24 * time.Hour)
	removed, err = db.PruneAudit(ctx, clk.Now().Add(-audit.MinRetention))
	must(t, err)
	if removed != 10 {
		t.Errorf("PruneAudit of everything = %d removed, want 10", removed)
	}
	must(t, db.AppendAudit(ctx, auditEntries(2, clk.Now())...))
	if n, broken := verifyAudit(t, db); n != 3 || broken != nil {
		t.Errorf("VerifyAudit after pruning everything = %d, %v, want 3 intact", n, broken)
	}
	head, err := db.AuditHead(ctx)
	must(t, err)
	if head.Seq != 38 {
		t.Errorf("AuditHead = %d, want 38", head.Seq)
	}
}

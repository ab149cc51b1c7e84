package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth/authtest"
	"taxsms/invoice"
	"taxsms/store"
)

// NewInvoice returns the valid record of the i-th test invoice: a 数电票
// for odd i, an electronic ordinary invoice with a code for even i.
func NewInvoice(i int) *invoice.Record {
	r := &invoice.Record{Status: invoice.StatusValid, SellerName: fmt.Sprintf("青岛海纳%03d贸易有限公司", i%1000),
		IssuedOn: taxsms.Date{Year: 2026, Month: 11, Day: 1 + i%28}, Amount: int64(i) * 100}
	if i%2 == 1 {
		r.Number = fmt.Sprintf("2637200%013d", i)
	} else {
		r.Code, r.Number = "037022500111", fmt.Sprintf("%08d", i)
	}
	return r
}

func testInvoice(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	root, b1, _, op := city(t, db)
	admin := authtest.Context(ctx, taxsms.RoleCityAdmin, 100, root.Path)

	recs := []*invoice.Record{NewInvoice(2), NewInvoice(3)}
	got, err := db.UpsertInvoices(admin, seq(recs...))
	must(t, err)
	if want := (store.Upserted{Inserted: 2}); got != want {
		t.Errorf("UpsertInvoices = %+v, want %+v", got, want)
	}
	t.Run("Lookup", func(t *testing.T) {
		r, err := db.LookupInvoice(ctx, invoice.Query{Code: "037022500111", Number: "00000002"})
		must(t, err)
		if r.SellerName != "青岛海纳002贸易有限公司" || r.Kind != invoice.KindEOrdinary || r.Status != invoice.StatusValid ||
			r.IssuedOn != (taxsms.Date{Year: 2026, Month: 11, Day: 3}) || r.Amount != 200 || !r.UpdatedAt.Equal(now) {
			t.Errorf("LookupInvoice = %+v", r)
		}
		q, err := invoice.Parse("FP " + recs[1].Number)
		must(t, err)
		r, err = db.LookupInvoice(ctx, q)
		must(t, err)
		if r.Code != "" || r.Number != recs[1].Number || r.Kind != invoice.KindDigital {
			t.Errorf("LookupInvoice(数电) = %+v", r)
		}
	})
	t.Run("Alternate", func(t *testing.T) {
		// Twenty digits sent bare read first as a 数电 number; the registry
		// holds a local tax bureau's invoice with that code and number.
		legacy := &invoice.Record{Code: "244191712345", Number: "12345678", Status: invoice.StatusVoid,
			SellerName: "东莞市某某餐饮有限公司", IssuedOn: taxsms.Date{Year: 2019, Month: 5, Day: 6}}
		_, err := db.UpsertInvoices(admin, seq(legacy))
		must(t, err)
		q, err := invoice.Parse("24419171234512345678")
		must(t, err)
		if !q.Digital() || !q.Ambiguous {
			t.Fatalf("Parse = %+v, want an ambiguous 数电 reading first", q)
		}
		r, err := db.LookupInvoice(ctx, q)
		must(t, err)
		if r.Code != legacy.Code || r.Status != invoice.StatusVoid || r.Kind != invoice.KindGeneral {
			t.Errorf("LookupInvoice(ambiguous) = %+v", r)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := db.LookupInvoice(ctx, invoice.Query{Code: "037022500111", Number: "99999999"})
		wantCode(t, err, taxsms.ENOTFOUND, "")
		_, err = db.LookupInvoice(ctx, invoice.Query{Number: "24419171234599999999", Ambiguous: true})
		wantCode(t, err, taxsms.ENOTFOUND, "")
		_, err = db.LookupInvoice(ctx, invoice.Query{Code: "1", Number: "2"})
		wantCode(t, err, taxsms.EINVALID, "code")
	})
	t.Run("Update", func(t *testing.T) {
		later := now.Add(time.Hour)
		db.Now = func() time.Time { return later }
		defer func() { db.Now = func() time.Time { return now } }()
		void := *NewInvoice(2)
		void.Status = invoice.StatusReversed
		got, err := db.UpsertInvoices(admin, seq(&void, NewInvoice(3), NewInvoice(4)))
		must(t, err)
		if want := (store.Upserted{Inserted: 1, Updated: 1, Unchanged: 1}); got != want {
			t.Errorf("UpsertInvoices = %+v, want %+v", got, want)
		}
		r, err := db.LookupInvoice(ctx, void.Query())
		must(t, err)
		if r.Status != invoice.StatusReversed || !r.UpdatedAt.Equal(later) {
			t.Errorf("after update: %+v", r)
		}
		r, err = db.LookupInvoice(ctx, NewInvoice(3).Query())
		must(t, err)
		if !r.UpdatedAt.Equal(now) {
			t.Errorf("an unchanged invoice's UpdatedAt moved to %v", r.UpdatedAt)
		}
	})
	t.Run("Many", func(t *testing.T) { // across batches, with repeats
		var many []*invoice.Record
		for i := 1000; i < 1600; i++ {
			many = append(many, NewInvoice(i))
		}
		got, err := db.UpsertInvoices(admin, seq(append(many, NewInvoice(1000))...))
		must(t, err)
		if want := (store.Upserted{Inserted: 600, Unchanged: 1}); got != want {
			t.Errorf("UpsertInvoices of 601 = %+v, want %+v", got, want)
		}
		last := *NewInvoice(1001)
		last.Status = invoice.StatusAbnormal
		_, err = db.UpsertInvoices(admin, seq(NewInvoice(1001), &last)) // the later row wins
		must(t, err)
		r, err := db.LookupInvoice(ctx, last.Query())
		must(t, err)
		if r.Status != invoice.StatusAbnormal {
			t.Errorf("status = %s, want the later row's", r.Status)
		}
	})
	t.Run("ErrRollback", func(t *testing.T) {
		bad := NewInvoice(2000)
		bad.SellerName = ""
		_, err := db.UpsertInvoices(admin, seq(NewInvoice(2001), bad))
		wantCode(t, err, taxsms.EINVALID, "seller_name")
		boom := errors.New("the file broke")
		failing := func(yield func(*invoice.Record, error) bool) {
			if yield(NewInvoice(2002), nil) {
				yield(nil, boom)
			}
		}
		if _, err := db.UpsertInvoices(admin, failing); !errors.Is(err, boom) {
			t.Errorf("UpsertInvoices = %v, want the sequence's error", err)
		}
		for _, i := range []int{2001, 2002} {
			_, err := db.LookupInvoice(ctx, NewInvoice(i).Query())
			wantCode(t, err, taxsms.ENOTFOUND, "")
		}
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		for _, role := range []taxsms.Role{taxsms.RoleBranchAdmin, taxsms.RoleOperator, taxsms.RoleAuditor} {
			actx := authtest.Context(ctx, role, op.ID, b1.Path)
			_, err := db.UpsertInvoices(actx, seq(NewInvoice(3000)))
			wantCode(t, err, taxsms.EFORBIDDEN, "")
			wantCode(t, db.MayImport(actx, "taxpayers", "invoices"), taxsms.EFORBIDDEN, "")
		}
	})
	t.Run("Audited", func(t *testing.T) {
		var n int
		for e, err := range db.ExportAudit(ctx, audit.Filter{Action: audit.Imported}) {
			must(t, err)
			if e.Object.Type == "invoices" {
				n++
			}
		}
		if n != 5 { // the successful upserts above, one record each
			t.Errorf("%d import records of invoices, want 5", n)
		}
	})
}

package importer_test

import (
	"context"
	"errors"
	"iter"
	"os"
	"path/filepath"
	"testing"

	"taxsms"
	"taxsms/importer"
	"taxsms/invoice"
	"taxsms/kb"
	"taxsms/store"
)

// fakeStore is an importer.Store that knows three taxpayers and checks
// that every tax data row it is given is valid.
type fakeStore struct{ t *testing.T }

func (fakeStore) OfficeCodes(context.Context) (map[string]int64, error) {
	return map[string]int64{}, nil
}
func (fakeStore) UserLogins(context.Context) (map[string]int64, error) {
	return map[string]int64{}, nil
}
func (fakeStore) TaxpayerIdentifiers(context.Context) (map[string]int64, error) {
	return map[string]int64{"91370202MA3C4X5T1B": 1, "913702031635628804": 2, "92370212MA3EXAMPLP": 3}, nil
}
func (fakeStore) UpsertOffices(context.Context, []store.OfficeRow) (store.Upserted, error) {
	return store.Upserted{}, errors.New("not here")
}
func (fakeStore) UpsertUsers(_ context.Context, s iter.Seq2[*taxsms.User, error]) (store.Upserted, error) {
	return store.Upserted{}, errors.New("not here")
}
func (fakeStore) UpsertTaxpayers(_ context.Context, s iter.Seq2[*taxsms.Taxpayer, error]) (store.Upserted, error) {
	return store.Upserted{}, errors.New("not here")
}
func (fakeStore) UpsertContacts(_ context.Context, s iter.Seq2[*taxsms.Contact, error]) (store.Upserted, error) {
	return store.Upserted{}, errors.New("not here")
}
func (f fakeStore) UpsertObligations(_ context.Context, s iter.Seq2[*taxsms.Obligation, error]) (store.Upserted, error) {
	return consume(f.t, s)
}
func (f fakeStore) UpsertFilings(_ context.Context, s iter.Seq2[*taxsms.Filing, error]) (store.Upserted, error) {
	return consume(f.t, s)
}
func (f fakeStore) UpsertPayments(_ context.Context, s iter.Seq2[*taxsms.Payment, error]) (store.Upserted, error) {
	return consume(f.t, s)
}
func (f fakeStore) UpsertDeductions(_ context.Context, s iter.Seq2[*taxsms.Deduction, error]) (store.Upserted, error) {
	return consume(f.t, s)
}
func (f fakeStore) UpsertKBEntries(_ context.Context, s iter.Seq2[*kb.Entry, error]) (store.Upserted, error) {
	return consume(f.t, s)
}
func (f fakeStore) UpsertInvoices(_ context.Context, s iter.Seq2[*invoice.Record, error]) (store.Upserted, error) {
	return consume(f.t, s)
}

// consume reads a sequence as a store would, failing the test on a row
// that does not validate.
func consume[T interface{ Validate() error }](t *testing.T, s iter.Seq2[T, error]) (store.Upserted, error) {
	var n store.Upserted
	for v, err := range s {
		if err != nil {
			return store.Upserted{}, err
		}
		if err := v.Validate(); err != nil {
			t.Fatalf("the importer yielded an invalid row %+v: %v", v, err)
		}
		n.Inserted++
	}
	return n, nil
}

// FuzzFile_TaxData imports arbitrary CSV files as each kind of tax data:
// the import never panics, only good rows reach the store, and a failed
// import is EINVALID.
func FuzzFile_TaxData(f *testing.F) {
	for _, name := range []string{"obligations.csv", "obligations_bad.csv", "filings.csv", "filings_bad.csv",
		"payments.csv", "payments_bad.csv", "deductions.csv", "deductions_bad.csv", "invoices.csv", "invoices_bad.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	kinds := []importer.Kind{importer.Obligations, importer.Filings, importer.Payments, importer.Deductions, importer.Invoices}
	f.Fuzz(func(t *testing.T, data []byte, skip bool) {
		dir := t.TempDir()
		path := filepath.Join(dir, "data.csv")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, k := range kinds {
			rep, err := importer.File(context.Background(), fakeStore{t}, k, path, importer.Options{SkipInvalid: skip})
			if err != nil && taxsms.ErrorCode(err) != taxsms.EINVALID {
				t.Fatalf("%s: error %v is not EINVALID", k, err)
			}
			if err == nil && rep.Inserted+rep.Rejected != rep.Rows {
				t.Fatalf("%s: %d rows, %d inserted, %d rejected", k, rep.Rows, rep.Inserted, rep.Rejected)
			}
		}
	})
}

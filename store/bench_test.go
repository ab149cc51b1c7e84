package store_test

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"taxsms"
	"taxsms/store"
	"taxsms/store/storetest"
)

// benchCity is a SQLite file of TAXSMS_BENCH_N taxpayers (default 20,000)
// with two contacts each, built once per test binary.
var benchCity struct {
	once sync.Once
	path string
	n    int
	err  error
}

func openBenchCity(b *testing.B) *store.DB {
	b.Helper()
	benchCity.once.Do(func() {
		benchCity.n = 20000
		if v, err := strconv.Atoi(os.Getenv("TAXSMS_BENCH_N")); err == nil && v > 0 {
			benchCity.n = v
		}
		dir, err := os.MkdirTemp("", "taxsms-bench")
		if err != nil {
			benchCity.err = err
			return
		}
		benchCity.path = "sqlite:" + filepath.Join(dir, "city.db")
		benchCity.err = buildCity(benchCity.path, benchCity.n)
	})
	if benchCity.err != nil {
		b.Fatal(benchCity.err)
	}
	return storetest.OpenDSN(b, benchCity.path, storetest.Box(b))
}

func buildCity(dsn string, n int) error {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, storetest.Box(&testing.B{}))
	if err != nil {
		return err
	}
	defer db.Close()
	var offices []store.OfficeRow
	offices = append(offices, store.OfficeRow{Office: taxsms.Office{Code: "QD", Name: "市局"}})
	for i := range 8 {
		offices = append(offices, store.OfficeRow{Office: taxsms.Office{Code: fmt.Sprintf("B%d", i), Name: fmt.Sprintf("第%d分局", i)}, ParentCode: "QD"})
	}
	if _, err := db.UpsertOffices(ctx, offices); err != nil {
		return err
	}
	codes, _ := db.OfficeCodes(ctx)
	names := []string{"海纳", "瑞丰", "金桥", "华通", "鑫源", "宏达", "恒信", "嘉禾", "利民", "东方"}
	trades := []string{"贸易", "科技", "建筑", "餐饮", "物流", "机械", "食品", "电子"}
	tps := func(yield func(*taxsms.Taxpayer, error) bool) {
		for i := range n {
			first := fmt.Sprintf("91370202MA%07d", i)
			tp := &taxsms.Taxpayer{
				Identifier: first + string(taxsms.USCCCheck(first)), IDType: taxsms.IDUSCC,
				Name:     fmt.Sprintf("青岛%s%s%d有限公司", names[i%len(names)], trades[(i/10)%len(trades)], i),
				OfficeID: codes[fmt.Sprintf("B%d", i%8)],
			}
			if !yield(tp, nil) {
				return
			}
		}
	}
	if _, err := db.UpsertTaxpayers(ctx, tps); err != nil {
		return err
	}
	ids, _ := db.TaxpayerIdentifiers(ctx)
	var cs iter.Seq2[*taxsms.Contact, error] = func(yield func(*taxsms.Contact, error) bool) {
		for i := range n {
			first := fmt.Sprintf("91370202MA%07d", i)
			id := ids[first+string(taxsms.USCCCheck(first))]
			for j, role := range []taxsms.ContactRole{taxsms.RoleLegalRep, taxsms.RoleFinance} {
				c := &taxsms.Contact{TaxpayerID: id, Role: role, Mobile: fmt.Sprintf("138%08d", i*2+j),
					Status: taxsms.ServiceActive, StatusChannel: taxsms.ChannelImport}
				if !yield(c, nil) {
					return
				}
			}
		}
	}
	_, err = db.UpsertContacts(ctx, cs)
	return err
}

// BenchmarkListTaxpayers measures one page (50 rows) of each kind of search
// over TAXSMS_BENCH_N taxpayers:
//
//	TAXSMS_BENCH_N=1000000 go test -run '^$' -bench ListTaxpayers ./store/
func BenchmarkListTaxpayers(b *testing.B) {
	db := openBenchCity(b)
	ctx := context.Background()
	codes, _ := db.OfficeCodes(ctx)
	mid := benchCity.n / 2
	first := fmt.Sprintf("91370202MA%07d", mid)
	for _, bb := range []struct {
		name string
		f    taxsms.TaxpayerFilter
	}{
		{"Identifier", taxsms.TaxpayerFilter{Identifier: first + string(taxsms.USCCCheck(first))}},
		{"Mobile", taxsms.TaxpayerFilter{Mobile: fmt.Sprintf("138%08d", mid*2)}},
		{"NamePrefix", taxsms.TaxpayerFilter{NamePrefix: "青岛瑞丰"}},
		{"NameContainsCommon", taxsms.TaxpayerFilter{NameContains: "科技"}},
		{"NameContainsRare", taxsms.TaxpayerFilter{NameContains: fmt.Sprintf("%d有限", mid)}},
		{"Subtree", taxsms.TaxpayerFilter{Subtree: codes["B3"]}},
		{"SubtreeDeepPage", taxsms.TaxpayerFilter{Subtree: codes["B3"], After: int64(benchCity.n * 9 / 10)}},
		{"FirstPage", taxsms.TaxpayerFilter{}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				got, err := db.ListTaxpayers(ctx, bb.f)
				if err != nil || len(got) == 0 {
					b.Fatalf("ListTaxpayers(%+v) = %d rows, %v", bb.f, len(got), err)
				}
			}
		})
	}
}

package web

import (
	"context"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth/authtest"
	"taxsms/store"
	"taxsms/store/storetest"
)

// benchTaxpayerCity builds a SQLite file of n taxpayers over a city office
// and 8 branches, with two contacts each, through the import path, with a
// city administrator "admin", and returns it opened afresh (its write-ahead
// log checkpointed, as in a node running for a while).
func benchTaxpayerCity(b *testing.B, n int) *store.DB {
	b.Helper()
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(b.TempDir(), "city.db")
	db, err := store.Open(ctx, dsn, storetest.Box(b))
	must(b, err)
	offices := []store.OfficeRow{{Office: taxsms.Office{Code: "QD", Name: "青岛市税务局"}}}
	for i := range 8 {
		offices = append(offices, store.OfficeRow{Office: taxsms.Office{Code: fmt.Sprintf("B%d", i), Name: fmt.Sprintf("第%d分局", i)}, ParentCode: "QD"})
	}
	_, err = db.UpsertOffices(ctx, offices)
	must(b, err)
	codes, err := db.OfficeCodes(ctx)
	must(b, err)
	names := []string{"海纳", "瑞丰", "金桥", "华通", "鑫源", "宏达", "恒信", "嘉禾", "利民", "东方"}
	trades := []string{"贸易", "科技", "建筑", "餐饮", "物流", "机械", "食品", "电子"}
	tps := func(yield func(*taxsms.Taxpayer, error) bool) {
		for i := range n {
			tp := &taxsms.Taxpayer{Identifier: testIdentifier(i), IDType: taxsms.IDUSCC,
				Name:     fmt.Sprintf("青岛%s%s%d有限公司", names[i%len(names)], trades[(i/10)%len(trades)], i),
				OfficeID: codes[fmt.Sprintf("B%d", i%8)]}
			if !yield(tp, nil) {
				return
			}
		}
	}
	_, err = db.UpsertTaxpayers(ctx, tps)
	must(b, err)
	ids, err := db.TaxpayerIdentifiers(ctx)
	must(b, err)
	var cs iter.Seq2[*taxsms.Contact, error] = func(yield func(*taxsms.Contact, error) bool) {
		for i := range n {
			for j, role := range []taxsms.ContactRole{taxsms.RoleLegalRep, taxsms.RoleFinance} {
				c := &taxsms.Contact{TaxpayerID: ids[testIdentifier(i)], Role: role, Mobile: fmt.Sprintf("138%08d", i*2+j),
					Status: taxsms.ServiceActive, StatusChannel: taxsms.ChannelImport}
				if !yield(c, nil) {
					return
				}
			}
		}
	}
	_, err = db.UpsertContacts(ctx, cs)
	must(b, err)
	admin := &taxsms.User{Login: "admin", Name: "管理员", OfficeID: codes["QD"], Role: taxsms.RoleCityAdmin}
	must(b, db.CreateUser(ctx, admin))
	hash, err := authtest.Hasher().Hash(ctx, testPassword)
	must(b, err)
	must(b, db.SetPasswordHash(ctx, admin.ID, hash, audit.System, "bench"))
	must(b, db.Close())
	return storetest.OpenDSN(b, dsn, storetest.Box(b))
}

// BenchmarkConsole_Taxpayers renders the taxpayer search page of a city
// administrator, through the console's handler (server time, no network),
// for each kind of search over a city of TAXSMS_BENCH_N taxpayers (default
// 20,000) with two contacts each, and reports the 95th percentile as
// p95_ms:
//
//	TAXSMS_BENCH_N=1000000 go test -run '^$' -bench Console_Taxpayers -benchtime 200x ./web/
func BenchmarkConsole_Taxpayers(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("TAXSMS_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	start := time.Now()
	db := benchTaxpayerCity(b, n)
	b.Logf("city of %d taxpayers built in %s", n, time.Since(start).Round(time.Millisecond))
	ctx := context.Background()
	codes, _ := db.OfficeCodes(ctx)
	c := &Console{DB: db, Key: []byte(strings.Repeat("k", 32)), Hasher: authtest.Hasher()}
	must(b, c.open(slog.New(slog.NewTextHandler(io.Discard, nil)), "bench"))
	mux := http.NewServeMux()
	c.register(mux)
	session := benchSignIn(b, c, mux, "admin")
	mid := n / 2
	for _, bb := range []struct{ name, query string }{
		{"FirstPage", ""},
		{"Identifier", "identifier=" + testIdentifier(mid)},
		{"Mobile", fmt.Sprintf("mobile=138%08d", mid*2)},
		{"NamePrefix", "match=prefix&name=" + url.QueryEscape("青岛瑞丰")},
		{"NameContainsCommon", "name=" + url.QueryEscape("科技")},
		{"NameContainsRare", "name=" + url.QueryEscape(fmt.Sprintf("%d有限", mid))},
		{"Office", fmt.Sprintf("office=%d", codes["B3"])},
		{"OfficeDeepPage", fmt.Sprintf("office=%d&after=%d", codes["B3"], n*9/10)},
	} {
		b.Run(bb.name, func(b *testing.B) {
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				w := httptest.NewRecorder()
				req := httptest.NewRequest("GET", "/taxpayers?"+bb.query, nil)
				req.AddCookie(session)
				mux.ServeHTTP(w, req)
				times = append(times, time.Since(start))
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `<a href="/taxpayers/`) {
					b.Fatalf("GET /taxpayers?%s = %d without a row", bb.query, w.Code)
				}
			}
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95_ms")
		})
	}
}

// benchSignIn signs login in through the console's handler and returns the
// session cookie.
func benchSignIn(b *testing.B, c *Console, mux *http.ServeMux, login string) *http.Cookie {
	b.Helper()
	pre := "p" + strings.Repeat("0", 42) // a pre-session id of the right form
	w := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"login": {login}, "password": {testPassword}, "csrf_token": {c.csrf.Token(pre)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: preCookie, Value: pre})
	mux.ServeHTTP(w, req)
	for _, k := range w.Result().Cookies() {
		if k.Name == c.Sessions.CookieName() {
			return k
		}
	}
	b.Fatalf("sign-in: %d", w.Code)
	return nil
}

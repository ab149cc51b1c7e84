package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"taxsms"
)

// BenchmarkConsole_Users renders pages of the users list of a city
// administrator over TAXSMS_BENCH_USERS users (default 20,000) in 20
// offices, through the console's handler: the first page, a page deep in
// the list (keyset paging costs the same), and one office's subtree. It
// reports the 95th percentile of each as p95_ms.
func BenchmarkConsole_Users(b *testing.B) {
	n := 20_000
	if s := os.Getenv("TAXSMS_BENCH_USERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	tc := startConsole(b)
	ctx := context.Background()
	city := tc.users[taxsms.RoleCityAdmin].OfficeID
	var offices []int64
	for i := range 20 {
		o := &taxsms.Office{ParentID: city, Code: fmt.Sprintf("B%02d", i), Name: fmt.Sprintf("分局 %d", i)}
		must(b, tc.db.CreateOffice(ctx, o))
		offices = append(offices, o.ID)
	}
	_, err := tc.db.UpsertUsers(ctx, func(yield func(*taxsms.User, error) bool) {
		for i := range n {
			u := &taxsms.User{Login: fmt.Sprintf("bench.%06d", i), Name: "用户", OfficeID: offices[i%len(offices)],
				Role: taxsms.RoleOperator, Mobile: fmt.Sprintf("139%08d", i)}
			if !yield(u, nil) {
				return
			}
		}
	})
	must(b, err)
	br := tc.browser()
	br.mustSignIn(tc.users[taxsms.RoleCityAdmin].Login)
	base, err := url.Parse(br.base)
	must(b, err)
	session := br.c.Jar.Cookies(base)
	mux := http.NewServeMux()
	tc.c.register(mux)
	for _, bc := range []struct{ name, path string }{
		{"First", "/users"},
		{"Deep", "/users?after=" + strconv.Itoa(n*9/10)},
		{"Office", "/users?office=" + strconv.FormatInt(offices[7], 10)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				start := time.Now()
				w := httptest.NewRecorder()
				req := httptest.NewRequest("GET", bc.path, nil)
				for _, k := range session {
					req.AddCookie(k)
				}
				mux.ServeHTTP(w, req)
				times = append(times, time.Since(start))
				if w.Code != 200 {
					b.Fatalf("GET %s = %d", bc.path, w.Code)
				}
			}
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95_ms")
		})
	}
}

package web

import (
	"context"
	"fmt"
	"io"
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
	"taxsms/store/storetest"
)

// BenchmarkConsole_Dashboard renders the dashboard of a city administrator
// over a SQLite file holding TAXSMS_BENCH_MESSAGES messages (default
// 100,000) spread over the last 30 days, through the console's handler
// (server time, no network). It reports the 95th percentile as p95_ms, and
// as count_ms the time of one count of the month's messages, which the
// page pays once per Console.StatsMaxAge and scope (all those messages are
// queued, so the queue depth counts 100,000 too).
func BenchmarkConsole_Dashboard(b *testing.B) {
	n := 100_000
	if s := os.Getenv("TAXSMS_BENCH_MESSAGES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	db := storetest.OpenDSN(b, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), storetest.Box(b))
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	root := &taxsms.Office{Code: "13702000000", Name: "青岛市税务局"}
	must(b, db.CreateOffice(ctx, root))
	admin := &taxsms.User{Login: "admin", Name: "管理员", OfficeID: root.ID, Role: taxsms.RoleCityAdmin}
	must(b, db.CreateUser(ctx, admin))
	h := authtest.Hasher()
	hash, _ := h.Hash(ctx, testPassword)
	must(b, db.SetPasswordHash(ctx, admin.ID, hash, audit.System, "bench"))
	const batch = 5000
	for i := 0; i < n; i += batch {
		at := now.Add(-time.Duration(n-i) * 30 * 24 * time.Hour / time.Duration(n))
		db.Now = func() time.Time { return at }
		var msgs []*taxsms.Message
		for j := i; j < min(i+batch, n); j++ {
			k := taxsms.Kinds[j%4]
			msgs = append(msgs, &taxsms.Message{Direction: taxsms.MT, Kind: k, Priority: k.DefaultPriority(),
				Mobile: fmt.Sprintf("139%08d", j), OfficeID: root.ID, Body: "【12366】提醒", Segments: 1})
		}
		_, err := db.CreateMessages(ctx, msgs)
		must(b, err)
	}
	db.Now = func() time.Time { return now }
	c := &Console{DB: db, Key: []byte(strings.Repeat("k", 32)), Hasher: h, Now: db.Now}
	must(b, c.open(slog.New(slog.NewTextHandler(io.Discard, nil)), "bench"))
	mux := http.NewServeMux()
	c.register(mux)
	pre := "p" + strings.Repeat("0", 42) // a pre-session id of the right form
	w := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"login": {"admin"}, "password": {testPassword}, "csrf_token": {c.csrf.Token(pre)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: preCookie, Value: pre})
	mux.ServeHTTP(w, req)
	var session *http.Cookie
	for _, k := range w.Result().Cookies() {
		if k.Name == c.Sessions.CookieName() {
			session = k
		}
	}
	if session == nil {
		b.Fatalf("sign-in: %d", w.Code)
	}
	start := time.Now()
	if _, err := db.MessageStats(ctx, now.Add(-30*24*time.Hour), time.UTC); err != nil {
		b.Fatal(err)
	}
	count := time.Since(start)
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		w := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(session)
		mux.ServeHTTP(w, req)
		times = append(times, time.Since(start))
		if w.Code != 200 {
			b.Fatalf("GET / = %d", w.Code)
		}
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95_ms")
	b.ReportMetric(float64(count.Microseconds())/1000, "count_ms")
}

package web

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/carrier"
)

// links is a LinkHealth with fixed health.
type links []carrier.Health

func (l links) Health() []carrier.Health { return l }

func TestConsole_Dashboard(t *testing.T) {
	tc := startConsole(t, func(c *Console) {
		c.Links = links{
			{Name: "mobile-cmpp", Carrier: taxsms.CarrierMobile, Protocol: "cmpp", Enabled: true, Sessions: 2, Connected: 2, Submits: 1234},
			{Name: "unicom-sgip", Carrier: taxsms.CarrierUnicom, Protocol: "sgip", Enabled: true, Sessions: 2, LastError: "login refused: <bad>", LastErrorAt: time.Now()},
		}
	})
	ctx := context.Background()
	op := tc.users[taxsms.RoleOperator]
	// Today (10:00 UTC, 18:00 in Shanghai): 3 filing reminders, one written
	// by the operator; 10 days ago: 2 unpaid-tax reminders.
	for i, m := range []struct {
		ago    time.Duration
		kind   taxsms.Kind
		author int64
	}{
		{0, taxsms.KindFilingReminder, op.ID}, {0, taxsms.KindFilingReminder, 0}, {0, taxsms.KindFilingReminder, 0},
		{-240 * time.Hour, taxsms.KindUnpaidTax, 0}, {-240 * time.Hour, taxsms.KindUnpaidTax, 0},
	} {
		at := tc.clock.Now().Add(m.ago)
		tc.db.Now = func() time.Time { return at }
		must(t, tc.db.CreateMessage(ctx, &taxsms.Message{Direction: taxsms.MT, Kind: m.kind, Priority: m.kind.DefaultPriority(),
			Mobile: fmt.Sprintf("1390000000%d", i), OfficeID: op.OfficeID, AuthorID: m.author, Body: "x", Segments: 1}))
	}
	tc.db.Now = tc.clock.Now

	for _, tt := range []struct {
		role                taxsms.Role
		today, month        string
		health, unpaidShown bool
	}{
		{taxsms.RoleCityAdmin, "3", "5", true, true},
		{taxsms.RoleOperator, "1", "1", false, false},
		{taxsms.RoleMaintainer, "", "", true, false}, // no message data
		{taxsms.RoleAuditor, "3", "5", true, true},
	} {
		t.Run(string(tt.role), func(t *testing.T) {
			b := tc.browser()
			b.mustSignIn(tc.users[tt.role].Login)
			r := b.get("/")
			if r.Status != http.StatusOK {
				t.Fatalf("GET / = %d", r.Status)
			}
			want := []string{`<svg class="chart chart-bars"`, `<svg class="chart chart-time"`,
				`<p class="big">` + tt.today + `</p>`, `<p class="big">` + tt.month + `</p>`}
			if tt.today == "" {
				want = nil
				if strings.Contains(r.Body, "<svg") || strings.Contains(r.Body, tc.c.cat.T(LangZH, "dash.today_sent")) {
					t.Errorf("dashboard shows message figures to a role that may read no message")
				}
			}
			for _, w := range append(want, `aria-current="page"`) {
				if !strings.Contains(r.Body, w) {
					t.Errorf("dashboard lacks %s", w)
				}
			}
			if row := `<th scope="row">2026-11-23</th><td class="n">2</td>`; strings.Contains(r.Body, row) != tt.unpaidShown {
				t.Errorf("trend table row of 23 November shown = %v, want %v", !tt.unpaidShown, tt.unpaidShown)
			}
			if got := strings.Contains(r.Body, "mobile-cmpp") && strings.Contains(r.Body, "login refused: &lt;bad&gt;"); got != tt.health {
				t.Errorf("links shown = %v, want %v", got, tt.health)
			}
			if got := strings.Contains(r.Body, tc.c.cat.T(LangZH, "dash.queue_by_priority")); got != tt.health {
				t.Errorf("queue shown = %v, want %v", got, tt.health)
			}
		})
	}
}

func TestPeriod_Rate(t *testing.T) {
	p := newPeriod()
	p.add(taxsms.MT, taxsms.KindOther, taxsms.StatusDelivered, 97)
	p.add(taxsms.MT, taxsms.KindOther, taxsms.StatusFailed, 2)
	p.add(taxsms.MT, taxsms.KindOther, taxsms.StatusExpired, 1)
	p.add(taxsms.MT, taxsms.KindOther, taxsms.StatusQueued, 50)
	p.add(taxsms.MO, taxsms.KindInteractive, taxsms.StatusReceived, 7)
	p.finish()
	if p.Sent != 150 || p.Received != 7 || p.Final != 100 || !p.HasRate || p.Rate != 0.97 {
		t.Errorf("period = sent %d received %d final %d rate %v, want 150, 7, 100, 0.97", p.Sent, p.Received, p.Final, p.Rate)
	}
	if len(p.ByKind) != len(taxsms.Kinds) || len(p.ByStatus) != 4 || p.ByStatus[0].Status != taxsms.StatusQueued {
		t.Errorf("ByKind %v, ByStatus %v", p.ByKind, p.ByStatus)
	}
	empty := newPeriod()
	empty.finish()
	if empty.HasRate {
		t.Errorf("a period without final messages has a rate")
	}
}

func TestCharts(t *testing.T) {
	b := string(barChart("a <title>", []bar{{Label: "x & y", N: 10}, {Label: "z", N: 0}}))
	if !strings.Contains(b, "a &lt;title&gt;") || !strings.Contains(b, "x &amp; y") || strings.Contains(b, "<title>a <") {
		t.Errorf("bar chart does not escape its texts: %s", b)
	}
	l := string(timeChart("t", []string{"12-01", "12-02", "12-03"}, []series{{Label: "s", Class: "chart-area", Values: []int{0, 5, 12}}, {Label: "d", Class: "chart-line", Values: []int{0, 4, 11}}}))
	if strings.Count(l, "<path") != 2 || !strings.Contains(l, ">20<") {
		t.Errorf("time chart: want 2 paths and an axis up to 20: %s", l)
	}
	for n, want := range map[int]int{0: 1, 1: 1, 7: 8, 12: 20, 45: 50, 100: 100, 101: 200, 568: 600, 999: 1000} {
		if got := niceCeil(n); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestCached(t *testing.T) {
	var e cached[int]
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	loads := 0
	load := func() (int, error) { loads++; return loads, nil }
	for _, tt := range []struct {
		at     time.Duration
		maxAge time.Duration
		want   int
	}{
		{0, time.Minute, 1},                 // first load
		{59 * time.Second, time.Minute, 1},  // still fresh
		{61 * time.Second, time.Minute, 2},  // stale: reloaded
		{62 * time.Second, -1, 3},           // never reused
		{62 * time.Second, time.Minute, 2},  // what was kept is fresh
		{200 * time.Second, time.Minute, 4}, // stale again
	} {
		got, _, err := e.get(t0.Add(tt.at), tt.maxAge, load)
		if err != nil || got != tt.want {
			t.Errorf("at +%v: get = %d, %v; want %d", tt.at, got, err, tt.want)
		}
	}
	// While one request reloads, another is served the stale value at once.
	e.refresh.Lock()
	got, at, _ := e.get(t0.Add(time.Hour), time.Minute, load)
	e.refresh.Unlock()
	if got != 4 || !at.Equal(t0.Add(200*time.Second)) {
		t.Errorf("during a reload: get = %d at %v, want the stale 4", got, at)
	}
}

func TestConsole_DashboardMaxAge(t *testing.T) {
	tc := startConsole(t, func(c *Console) { c.StatsMaxAge = time.Minute })
	b := tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleCityAdmin].Login)
	sent := func() string {
		t.Helper()
		m := regexp.MustCompile(`<h2>` + tc.c.cat.T(LangZH, "dash.today_sent") + `</h2><p class="big">(\d+)</p>`).FindStringSubmatch(b.get("/").Body)
		if m == nil {
			t.Fatal("no count of today's messages")
		}
		return m[1]
	}
	if got := sent(); got != "0" {
		t.Fatalf("sent today = %s, want 0", got)
	}
	must(t, tc.db.CreateMessage(context.Background(), &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindOther,
		Priority: taxsms.PriorityBulk, Mobile: "13900000001", OfficeID: tc.users[taxsms.RoleCityAdmin].OfficeID, Body: "x", Segments: 1}))
	if got := sent(); got != "0" {
		t.Errorf("sent today within a minute = %s, want the counts reused (0)", got)
	}
	tc.clock.Add(time.Minute)
	if got := sent(); got != "1" {
		t.Errorf("sent today after a minute = %s, want 1", got)
	}
}

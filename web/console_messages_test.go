package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
)

func TestConsole_MessageChange(t *testing.T) {
	tc := startConsole(t)
	fx := tc.dataFixture()
	ctx := context.Background()
	path := fmt.Sprintf("/messages/%d", fx.OwnQueued.ID)
	status := func() taxsms.Status {
		m, err := tc.db.FindMessage(ctx, fx.OwnQueued.ID)
		must(t, err)
		return m.Status
	}

	t.Run("Refused", func(t *testing.T) {
		for _, tt := range []struct {
			role taxsms.Role
			path string
			want int
		}{
			{taxsms.RoleAuditor, path + "/cancel", http.StatusForbidden},                                      // reads, changes nothing
			{taxsms.RoleMaintainer, path + "/cancel", http.StatusForbidden},                                   // no taxpayer data
			{taxsms.RoleOperator, fmt.Sprintf("/messages/%d/cancel", fx.OtherQueued.ID), http.StatusNotFound}, // not its taxpayer
			{taxsms.RoleCityAdmin, path + "/delete", http.StatusNotFound},
		} {
			b := tc.browser()
			b.mustSignIn(tc.users[tt.role].Login)
			if r := b.post(tt.path, url.Values{"csrf_token": {b.csrf("/")}}); r.Status != tt.want {
				t.Errorf("%s: POST %s = %d, want %d", tt.role, tt.path, r.Status, tt.want)
			}
		}
		if got := status(); got != taxsms.StatusQueued {
			t.Errorf("status after refused changes = %s, want queued", got)
		}
		if r := tc.browser().post(path+"/cancel", url.Values{}); r.Status != http.StatusSeeOther || r.Location != "/login" {
			t.Errorf("a cancel without a session = %d → %q, want 303 → /login", r.Status, r.Location)
		}
		// An operator changes only the messages it wrote, not the
		// automatic ones to its taxpayers, which it may read.
		auto := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindFilingReminder, Priority: taxsms.PriorityReminder, Mobile: "13800138000",
			TaxpayerID: fx.Own.ID, ContactID: fx.OwnContact.ID, OfficeID: fx.Own.OfficeID, Body: "【12366】请按期申报。", Segments: 1}
		must(t, tc.db.CreateMessage(ctx, auto))
		b := tc.browser()
		b.mustSignIn(tc.users[taxsms.RoleOperator].Login)
		autoPath := fmt.Sprintf("/messages/%d", auto.ID)
		if page := b.get(autoPath); page.Status != http.StatusOK || strings.Contains(page.Body, autoPath+"/cancel") {
			t.Errorf("operator's view of an automatic message = %d, offering to cancel it: %v", page.Status, strings.Contains(page.Body, autoPath+"/cancel"))
		}
		if r := b.post(autoPath+"/cancel", url.Values{"csrf_token": {b.csrf("/")}}); r.Status != http.StatusForbidden {
			t.Errorf("operator's cancel of an automatic message = %d, want 403", r.Status)
		}
	})

	b := tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleOperator].Login)
	for _, step := range []struct {
		action string
		want   taxsms.Status
		offers []string // the buttons the page then shows
	}{
		{"hold", taxsms.StatusHeld, []string{"release", "cancel"}},
		{"release", taxsms.StatusQueued, []string{"hold", "cancel"}},
		{"cancel", taxsms.StatusCancelled, nil},
	} {
		r := b.post(path+"/"+step.action, url.Values{"csrf_token": {b.csrf(path)}, "reason": {"纳税人已缴款"}})
		if r.Status != http.StatusSeeOther || r.Location != path {
			t.Fatalf("%s = %d → %q, want 303 → %s", step.action, r.Status, r.Location, path)
		}
		if got := status(); got != step.want {
			t.Errorf("after %s: status %s, want %s", step.action, got, step.want)
		}
		page := b.get(path).Body
		for _, a := range []string{"hold", "release", "cancel"} {
			want := strings.Contains(strings.Join(step.offers, " "), a)
			if got := strings.Contains(page, `action="`+path+"/"+a+`"`); got != want {
				t.Errorf("after %s: button %s shown = %v, want %v", step.action, a, got, want)
			}
		}
	}
	page := b.get(path).Body
	if !strings.Contains(page, "纳税人已缴款") || !strings.Contains(page, "status-cancelled") {
		t.Error("the timeline does not show the cancellation and its reason")
	}
	// Cancelled: a second cancel changes nothing, and says so.
	r := b.post(path+"/cancel", url.Values{"csrf_token": {b.csrf(path)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("second cancel = %d", r.Status)
	}
	n := 0
	for e, err := range tc.db.ExportAudit(ctx, audit.Filter{Action: audit.MessageCancelled}) {
		must(t, err)
		if e.Object.ID == fmt.Sprint(fx.OwnQueued.ID) && e.Actor.UserID == tc.users[taxsms.RoleOperator].ID && strings.Contains(e.Detail, "纳税人已缴款") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("audit records of the cancellation = %d, want 1", n)
	}
}

func TestConsole_MessageSearch(t *testing.T) {
	tc := startConsole(t)
	fx := tc.dataFixture() // on 2026-12-03
	ctx := context.Background()
	// One message a day from 2026-12-04 to 2026-12-08 (10:00 UTC, 18:00 in Qingdao).
	var days []*taxsms.Message
	for i := range 5 {
		tc.clock.Add(24 * time.Hour)
		m := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindFilingReminder, Priority: taxsms.PriorityReminder, Mobile: "13700137000",
			OfficeID: tc.users[taxsms.RoleCityAdmin].OfficeID, Body: fmt.Sprintf("【12366】第%d天", i+4), Segments: 1}
		must(t, tc.db.CreateMessage(ctx, m))
		days = append(days, m)
	}
	b := tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleCityAdmin].Login)
	link := func(m *taxsms.Message) string { return fmt.Sprintf(`href="/messages/%d"`, m.ID) }
	for _, tt := range []struct {
		name, query string
		status      int
		want        []*taxsms.Message
		errorID     string
	}{
		{"All", "", 200, []*taxsms.Message{fx.OwnQueued, fx.OtherQueued, fx.OwnMO, days[0], days[4]}, ""},
		{"Mobile", "mobile=13800138000", 200, []*taxsms.Message{fx.OwnQueued, fx.OwnMO}, ""},
		{"Kind", "kind=filing_reminder", 200, days, ""},
		{"Status", "status=received", 200, []*taxsms.Message{fx.OwnMO}, ""},
		{"Direction", "direction=mt&mobile=13800138000", 200, []*taxsms.Message{fx.OwnQueued}, ""},
		{"Office", fmt.Sprintf("office=%d", fx.Own.OfficeID), 200, []*taxsms.Message{fx.OwnQueued, fx.OtherQueued, fx.OwnMO}, ""},
		{"Taxpayer", fmt.Sprintf("taxpayer=%d", fx.Own.ID), 200, []*taxsms.Message{fx.OwnQueued, fx.OwnMO}, ""},
		{"Days", "from=2026-12-05&to=2026-12-06", 200, []*taxsms.Message{days[1], days[2]}, ""},
		{"From", "from=2026-12-08", 200, []*taxsms.Message{days[4]}, ""},
		{"To", "to=2026-12-03", 200, []*taxsms.Message{fx.OwnQueued, fx.OtherQueued, fx.OwnMO}, ""},
		{"AfterAll", "from=2026-12-20", 200, nil, ""},
		{"BadMobile", "mobile=abc", 400, nil, "f-mobile-error"},
		{"BadKind", "kind=spam", 400, nil, "f-kind-error"},
		{"BadStatus", "status=lost", 400, nil, "f-status-error"},
		{"BadDate", "from=tomorrow", 400, nil, "f-from-error"},
		{"BadRange", "from=2026-12-06&to=2026-12-05", 400, nil, "f-to-error"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := b.get("/messages?" + tt.query)
			if r.Status != tt.status {
				t.Fatalf("GET /messages?%s = %d, want %d", tt.query, r.Status, tt.status)
			}
			for _, m := range tt.want {
				if !strings.Contains(r.Body, link(m)) {
					t.Errorf("message %d (%s) not found", m.ID, m.Body)
				}
			}
			if tt.status == 200 {
				if got := strings.Count(r.Body, `<a href="/messages/`); tt.name != "All" && got != len(tt.want) {
					t.Errorf("rows = %d, want %d", got, len(tt.want))
				}
			}
			if tt.errorID != "" && !strings.Contains(r.Body, `id="`+tt.errorID+`"`) {
				t.Errorf("no error beside the field (%s)", tt.errorID)
			}
		})
	}

	t.Run("Inbound", func(t *testing.T) {
		r := b.get("/inbound")
		if !strings.Contains(r.Body, link(fx.OwnMO)) || strings.Contains(r.Body, link(fx.OwnQueued)) || !strings.Contains(r.Body, "138****8000") {
			t.Errorf("the inbound page does not list exactly the received message, sender masked")
		}
		if r := b.get("/inbound?mobile=13900139000"); strings.Contains(r.Body, link(fx.OwnMO)) {
			t.Error("the inbound search by another sender finds the message")
		}
	})
}

// FuzzConsole_DataSearch sends arbitrary searches to the taxpayer, message
// and received message pages: every answer is the page (200) or the page
// with the errors beside the fields (400), never a 500, and no input comes
// back unescaped.
func FuzzConsole_DataSearch(f *testing.F) {
	tc := startConsole(f)
	tc.dataFixture()
	b := tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleBranchAdmin].Login)
	f.Add("91370202MA00000012", "海纳", "prefix", "13800138000", "1", "2026-12-01", "kind", "1")
	f.Add("<script>", "%_\\", "contains", "+86 138-0013-8000", "-1", "2026-02-30", "unpaid_tax", "0")
	f.Add("", "", "", "abc", "x", "20261203", "", "9223372036854775807")
	f.Add(strings.Repeat("9", 60), "\x00\xff", "regexp", "1", "99999", "2026/12/03", `"><b>`, "-5")
	f.Fuzz(func(t *testing.T, identifier, name, match, mobile, office, day, kind, after string) {
		b.t = t
		queries := map[string]url.Values{
			"/taxpayers": {"identifier": {identifier}, "name": {name}, "match": {match}, "mobile": {mobile}, "office": {office}, "after": {after}},
			"/messages":  {"mobile": {mobile}, "kind": {kind}, "status": {match}, "direction": {match}, "office": {office}, "from": {day}, "to": {day}, "taxpayer": {office}, "after": {after}},
			"/inbound":   {"mobile": {mobile}, "from": {day}, "after": {after}},
		}
		for path, q := range queries {
			r := b.get(path + "?" + q.Encode())
			if r.Status != http.StatusOK && r.Status != http.StatusBadRequest {
				t.Fatalf("GET %s?%s = %d\n%s", path, q.Encode(), r.Status, r.Body)
			}
			for _, v := range []string{identifier, name, mobile, kind} {
				if (strings.Contains(v, "<script") || strings.Contains(v, `"><`)) && strings.Contains(r.Body, v) {
					t.Errorf("GET %s: %q shown unescaped", path, v)
				}
			}
		}
	})
}

package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/carrier"
)

func TestConsole_Links(t *testing.T) {
	links := newFakeLinks()
	tc := startConsole(t, func(c *Console) { c.Links = links })
	ctx := context.Background()
	disable := url.Values{"reason": {"移动网关割接"}}

	for _, role := range []taxsms.Role{taxsms.RoleBranchAdmin, taxsms.RoleAuditor, taxsms.RoleOperator} {
		b := tc.browser()
		b.mustSignIn(tc.users[role].Login)
		disable.Set("csrf_token", b.csrf("/"))
		if r := b.post("/links/cmcc-1/disable", disable); r.Status != http.StatusForbidden {
			t.Errorf("%s (no manage_carriers): disable = %d, want 403", role, r.Status)
		}
		if role == taxsms.RoleAuditor && strings.Contains(b.get("/links").Body, `action="/links/cmcc-1/disable"`) {
			t.Error("the auditor is offered the button")
		}
	}
	if !links.Health()[0].Enabled {
		t.Fatal("a refused request disabled the link")
	}

	b := tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleMaintainer].Login)
	if !strings.Contains(b.get("/links").Body, `action="/links/cmcc-1/disable"`) {
		t.Fatal("the maintainer is not offered the button")
	}
	for _, tt := range []struct {
		path    string
		status  int
		enabled bool
	}{
		{"/links/cmcc-1/disable", http.StatusSeeOther, false},
		{"/links/cmcc-1/disable", http.StatusSeeOther, false}, // already: nothing recorded
		{"/links/nosuch/disable", http.StatusNotFound, false},
		{"/links/cmcc-1/restart", http.StatusNotFound, false},
		{"/links/cmcc-1/enable", http.StatusSeeOther, true},
	} {
		disable.Set("csrf_token", b.csrf("/links"))
		if r := b.post(tt.path, disable); r.Status != tt.status {
			t.Errorf("POST %s = %d, want %d", tt.path, r.Status, tt.status)
		}
		if got := links.Health()[0].Enabled; got != tt.enabled {
			t.Errorf("after POST %s: enabled = %v, want %v", tt.path, got, tt.enabled)
		}
	}
	var got []string
	for e, err := range tc.db.ExportAudit(ctx, audit.Filter{Action: audit.LinkChanged}) {
		must(t, err)
		if e.Object.ID != "cmcc-1" || e.Actor.UserID != tc.users[taxsms.RoleMaintainer].ID || e.IP == "" {
			t.Errorf("audit record %+v: want link cmcc-1 by the maintainer from its address", e)
		}
		got = append(got, string(e.After)+" "+e.Detail)
	}
	want := []string{`{"enabled":false} disable: 移动网关割接`, `{"enabled":true} enable: 移动网关割接`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("audit records = %q, want %q", got, want)
	}

	t.Run("NoLinks", func(t *testing.T) {
		tc := startConsole(t)
		b := tc.browser()
		b.mustSignIn(tc.users[taxsms.RoleMaintainer].Login)
		if r := b.get("/links"); r.Status != http.StatusOK {
			t.Errorf("links page without links = %d", r.Status)
		}
		if r := b.post("/links/cmcc-1/disable", url.Values{"csrf_token": {b.csrf("/links")}}); r.Status != http.StatusNotFound {
			t.Errorf("disable without links = %d, want 404", r.Status)
		}
	})
}

func TestLinkMeter(t *testing.T) {
	var m linkMeter
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	hs := func(n int64) []carrier.Health { return []carrier.Health{{Name: "a", Segments: n}} }
	if r := m.rates(t0, hs(100)); r != nil {
		t.Errorf("first reading = %v, want none", r)
	}
	if r := m.rates(t0.Add(time.Second), hs(150)); r != nil {
		t.Errorf("reading too soon = %v, want none", r)
	}
	if r := m.rates(t0.Add(10*time.Second), hs(600)); r["a"] != 50 {
		t.Errorf("rate = %v, want 50/s", r["a"])
	}
	if r := m.rates(t0.Add(20*time.Second), hs(10)); len(r) != 0 {
		t.Errorf("rate after a restart of the counters = %v, want none", r)
	}
}

// The carrier router is what cmd/taxsms gives the console as its Links: it
// must offer the switch.
var _ linkSwitch = (*carrier.Router)(nil)

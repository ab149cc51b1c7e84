package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/carrier"
)

// dataFixture is what the data pages' tests work on: two taxpayers of the
// branch, one in the operator's charge (Own) and one in the branch
// administrator's (Other), each with a contact; a queued message to each,
// written by its administrator, and a message received from Own's contact.
type dataFixture struct {
	Own, Other               *taxsms.Taxpayer
	OwnContact, OtherContact *taxsms.Contact
	OwnQueued, OtherQueued   *taxsms.Message
	OwnMO                    *taxsms.Message
}

// testIdentifier returns a valid unified social credit code numbered i.
func testIdentifier(i int) string {
	first := fmt.Sprintf("91370202MA%07d", i)
	return first + string(taxsms.USCCCheck(first))
}

func (tc *testConsole) dataFixture() *dataFixture {
	tc.t.Helper()
	ctx := context.Background()
	db, t := tc.db, tc.t
	branch := tc.users[taxsms.RoleBranchAdmin].OfficeID
	fx := &dataFixture{
		Own:   &taxsms.Taxpayer{Identifier: testIdentifier(1), Name: "青岛海纳贸易有限公司", OfficeID: branch, AdminID: tc.users[taxsms.RoleOperator].ID, Industry: "批发业"},
		Other: &taxsms.Taxpayer{Identifier: testIdentifier(2), Name: "青岛瑞丰科技有限公司", OfficeID: branch, AdminID: tc.users[taxsms.RoleBranchAdmin].ID},
	}
	must(t, db.CreateTaxpayer(ctx, fx.Own))
	must(t, db.CreateTaxpayer(ctx, fx.Other))
	fx.OwnContact = &taxsms.Contact{TaxpayerID: fx.Own.ID, Role: taxsms.RoleLegalRep, Name: "张伟", Mobile: "13800138000", Status: taxsms.ServiceActive}
	fx.OtherContact = &taxsms.Contact{TaxpayerID: fx.Other.ID, Role: taxsms.RoleFinance, Name: "李娜", Mobile: "13900139000", Status: taxsms.ServiceActive}
	must(t, db.CreateContact(ctx, fx.OwnContact))
	must(t, db.CreateContact(ctx, fx.OtherContact))
	msg := func(tp *taxsms.Taxpayer, ct *taxsms.Contact, dir taxsms.Direction, body string) *taxsms.Message {
		m := &taxsms.Message{Direction: dir, Kind: taxsms.KindUnpaidTax, Priority: taxsms.PriorityReminder, Mobile: ct.Mobile,
			TaxpayerID: tp.ID, ContactID: ct.ID, OfficeID: tp.OfficeID, Body: body, Segments: 1}
		if dir == taxsms.MO {
			m.Kind, m.Priority = taxsms.KindInteractive, taxsms.PriorityInteractive
		} else {
			m.AuthorID = tp.AdminID // written by the taxpayer's administrator
		}
		must(t, db.CreateMessage(ctx, m))
		return m
	}
	fx.OwnQueued = msg(fx.Own, fx.OwnContact, taxsms.MT, "【12366】您有一笔税款尚未缴纳。")
	fx.OtherQueued = msg(fx.Other, fx.OtherContact, taxsms.MT, "【12366】瑞丰请按期申报。")
	fx.OwnMO = msg(fx.Own, fx.OwnContact, taxsms.MO, "请问滞纳金怎么算")
	return fx
}

// fakeLinks is a carrier router's health and switch, for the links page.
type fakeLinks struct {
	mu sync.Mutex
	hs []carrier.Health
}

func (f *fakeLinks) Health() []carrier.Health {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]carrier.Health(nil), f.hs...)
}

func (f *fakeLinks) SetEnabled(name string, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.hs {
		if f.hs[i].Name == name {
			f.hs[i].Enabled = on
			return nil
		}
	}
	return taxsms.Errorf(taxsms.ENOTFOUND, "no link %q", name)
}

func newFakeLinks() *fakeLinks {
	return &fakeLinks{hs: []carrier.Health{
		{Name: "cmcc-1", Carrier: taxsms.CarrierMobile, Protocol: "cmpp3", Enabled: true, Sessions: 4, Connected: 4, InFlight: 3, Window: 64, Submits: 1200, Segments: 1500, LastError: "timeout"},
		{Name: "unicom-1", Carrier: taxsms.CarrierUnicom, Protocol: "sgip", Enabled: true, Sessions: 2, Connected: 0},
	}}
}

func TestConsole_DataPagesByRole(t *testing.T) {
	links := newFakeLinks()
	tc := startConsole(t, func(c *Console) { c.Links = links })
	fx := tc.dataFixture()
	const ok, forbidden, notFound = http.StatusOK, http.StatusForbidden, http.StatusNotFound
	// want by role: city admin, branch admin, operator, auditor, maintainer
	roles := []taxsms.Role{taxsms.RoleCityAdmin, taxsms.RoleBranchAdmin, taxsms.RoleOperator, taxsms.RoleAuditor, taxsms.RoleMaintainer}
	pages := []struct {
		path string
		want [5]int
		text string // shown to those who get 200
	}{
		{"/taxpayers", [5]int{ok, ok, ok, ok, forbidden}, "青岛海纳贸易有限公司"},
		{fmt.Sprintf("/taxpayers/%d", fx.Own.ID), [5]int{ok, ok, ok, ok, forbidden}, "138****8000"},
		{fmt.Sprintf("/taxpayers/%d", fx.Other.ID), [5]int{ok, ok, notFound, ok, forbidden}, "139****9000"},
		{fmt.Sprintf("/contacts/%d", fx.OwnContact.ID), [5]int{ok, ok, ok, ok, forbidden}, "138****8000"},
		{fmt.Sprintf("/contacts/%d", fx.OtherContact.ID), [5]int{ok, ok, notFound, ok, forbidden}, "139****9000"},
		{"/messages", [5]int{ok, ok, ok, ok, forbidden}, "138****8000"},
		{fmt.Sprintf("/messages/%d", fx.OwnQueued.ID), [5]int{ok, ok, ok, ok, forbidden}, "您有一笔税款尚未缴纳"},
		{fmt.Sprintf("/messages/%d", fx.OtherQueued.ID), [5]int{ok, ok, notFound, ok, forbidden}, "瑞丰请按期申报"},
		{"/inbound", [5]int{ok, ok, ok, ok, forbidden}, "请问滞纳金怎么算"},
		{"/links", [5]int{ok, forbidden, forbidden, ok, ok}, "cmcc-1"},
	}
	for i, role := range roles {
		b := tc.browser()
		b.mustSignIn(tc.users[role].Login)
		for _, p := range pages {
			r := b.get(p.path)
			if r.Status != p.want[i] {
				t.Errorf("%s: GET %s = %d, want %d", role, p.path, r.Status, p.want[i])
				continue
			}
			if r.Status != ok {
				continue
			}
			if !strings.Contains(r.Body, p.text) {
				t.Errorf("%s: GET %s does not show %q", role, p.path, p.text)
			}
			for _, full := range []string{"13800138000", "13900139000"} {
				if strings.Contains(r.Body, full) {
					t.Errorf("%s: GET %s shows the full number %s", role, p.path, full)
				}
			}
		}
		// The navigation offers what the role may see.
		home := b.get("/").Body
		for _, nav := range []struct {
			path string
			want bool
		}{
			{"/taxpayers", role != taxsms.RoleMaintainer},
			{"/links", role == taxsms.RoleCityAdmin || role == taxsms.RoleAuditor || role == taxsms.RoleMaintainer},
		} {
			if got := strings.Contains(home, `href="`+nav.path+`"`); got != nav.want {
				t.Errorf("%s: navigation links %s = %v, want %v", role, nav.path, got, nav.want)
			}
		}
	}

	t.Run("OperatorList", func(t *testing.T) {
		b := tc.browser()
		b.mustSignIn(tc.users[taxsms.RoleOperator].Login)
		for _, path := range []string{"/taxpayers", "/taxpayers?name=青岛", "/messages", "/inbound"} {
			body := b.get(path).Body
			if strings.Contains(body, "瑞丰") || strings.Contains(body, "139****9000") {
				t.Errorf("operator's %s shows another's taxpayer", path)
			}
		}
	})
	t.Run("Languages", func(t *testing.T) {
		b := tc.browser()
		b.mustSignIn(tc.users[taxsms.RoleCityAdmin].Login)
		for lang, want := range map[string]string{"zh": "纳税人查询", "en": "Taxpayers"} {
			b.post("/lang", url.Values{"csrf_token": {b.csrf("/")}, "lang": {lang}, "next": {"/taxpayers"}})
			if r := b.get("/taxpayers"); !strings.Contains(r.Body, "<h1>"+want+"</h1>") {
				t.Errorf("taxpayers page in %s: no heading %q", lang, want)
			}
		}
	})
}

func TestConsole_TaxpayerSearch(t *testing.T) {
	tc := startConsole(t)
	fx := tc.dataFixture()
	b := tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleBranchAdmin].Login)
	branch := tc.users[taxsms.RoleBranchAdmin].OfficeID
	own := fmt.Sprintf(`href="/taxpayers/%d"`, fx.Own.ID)
	other := fmt.Sprintf(`href="/taxpayers/%d"`, fx.Other.ID)
	for _, tt := range []struct {
		name, query string
		status      int
		own, other  bool
		fieldError  string // the id of the error shown beside a field
	}{
		{"All", "", 200, true, true, ""},
		{"Identifier", "identifier=" + strings.ToLower(fx.Own.Identifier), 200, true, false, ""},
		{"NameContains", "name=" + url.QueryEscape("海纳"), 200, true, false, ""},
		{"NamePrefix", "match=prefix&name=" + url.QueryEscape("青岛瑞丰"), 200, false, true, ""},
		{"NamePrefixNotContains", "match=prefix&name=" + url.QueryEscape("瑞丰"), 200, false, false, ""},
		{"Mobile", "mobile=+86%20138-0013-8000", 200, true, false, ""},
		{"Office", fmt.Sprintf("office=%d", branch), 200, true, true, ""},
		{"Combined", fmt.Sprintf("office=%d&name=%s", branch, url.QueryEscape("瑞丰")), 200, false, true, ""},
		{"BadMobile", "mobile=12345", 400, false, false, "f-mobile-error"},
		{"BadOffice", "office=x", 400, false, false, "f-office-error"},
		{"UnknownOffice", "office=9999", 400, false, false, "f-office-error"},
		{"BadMatch", "match=regexp&name=x", 400, false, false, "f-match-error"},
		{"BadCursor", "after=-1", 400, false, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := b.get("/taxpayers?" + tt.query)
			if r.Status != tt.status {
				t.Fatalf("GET /taxpayers?%s = %d, want %d", tt.query, r.Status, tt.status)
			}
			if got := strings.Contains(r.Body, own); got != tt.own {
				t.Errorf("own taxpayer found = %v, want %v", got, tt.own)
			}
			if got := strings.Contains(r.Body, other); got != tt.other {
				t.Errorf("other taxpayer found = %v, want %v", got, tt.other)
			}
			if tt.fieldError != "" && !strings.Contains(r.Body, `id="`+tt.fieldError+`"`) {
				t.Errorf("no error beside the field (%s)", tt.fieldError)
			}
		})
	}
	t.Run("Paging", func(t *testing.T) {
		ctx := context.Background()
		for i := range PageSize + 5 {
			must(t, tc.db.CreateTaxpayer(ctx, &taxsms.Taxpayer{Identifier: testIdentifier(100 + i), Name: fmt.Sprintf("青岛分页%03d有限公司", i), OfficeID: branch}))
		}
		r := b.get("/taxpayers?name=" + url.QueryEscape("分页"))
		if n := strings.Count(r.Body, `<a href="/taxpayers/`); n != PageSize {
			t.Fatalf("first page rows = %d, want %d", n, PageSize)
		}
		next := regexpFind(r.Body, `href="(/taxpayers\?[^"]*after=[0-9]+[^"]*)" rel="next"`)
		if next == "" {
			t.Fatal("no link to the next page")
		}
		r = b.get(strings.ReplaceAll(next, "&amp;", "&"))
		if n := strings.Count(r.Body, `<a href="/taxpayers/`); n != 5 || !strings.Contains(r.Body, "青岛分页054有限公司") || strings.Contains(r.Body, `rel="next"`) {
			t.Errorf("second page: %d rows, want the last 5 and no next page", n)
		}
	})
}

func TestConsole_ContactLifecycle(t *testing.T) {
	tc := startConsole(t)
	fx := tc.dataFixture()
	tc.clock.Add(48 * time.Hour) // today is 2026-12-05; the contact began on 2026-12-03
	b := tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleBranchAdmin].Login)
	path := fmt.Sprintf("/contacts/%d", fx.OwnContact.ID)
	post := func(step string, form url.Values) response {
		t.Helper()
		form.Set("csrf_token", b.csrf(path))
		return b.post(path+"/"+step, form)
	}

	t.Run("Invalid", func(t *testing.T) {
		for _, tt := range []struct {
			name, step string
			form       url.Values
			errorID    string
		}{
			{"NoNumber", "change-number", url.Values{"channel": {"window"}}, "f-change-number-mobile-error"},
			{"BadNumber", "change-number", url.Values{"mobile": {"1380013800"}, "channel": {"window"}}, "f-change-number-mobile-error"},
			{"SameNumber", "change-number", url.Values{"mobile": {"13800138000"}, "channel": {"window"}}, "f-change-number-mobile-error"},
			{"Future", "cancel", url.Values{"channel": {"window"}, "at": {"2026-12-09"}}, "f-cancel-at-error"},
			{"BeforeLast", "cancel", url.Values{"channel": {"window"}, "at": {"2026-11-01"}}, "f-cancel-at-error"},
			{"BadDate", "cancel", url.Values{"channel": {"window"}, "at": {"yesterday"}}, "f-cancel-at-error"},
			{"BadChannel", "cancel", url.Values{"channel": {"fax"}}, "f-cancel-channel-error"},
			{"AlreadyActive", "activate", url.Values{"channel": {"window"}}, "form-error"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := post(tt.step, tt.form)
				if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `id="`+tt.errorID+`"`) {
					t.Errorf("POST %s = %d, want 400 with %s", tt.step, r.Status, tt.errorID)
				}
			})
		}
	})

	t.Run("ChangeNumber", func(t *testing.T) {
		r := post("change-number", url.Values{"mobile": {"137 0013 7000"}, "channel": {"self_service"}, "at": {"2026-12-04"}})
		if r.Status != http.StatusSeeOther || r.Location != path {
			t.Fatalf("change number = %d → %q, want 303 → %s\n%s", r.Status, r.Location, path, r.Body)
		}
		page := b.get(path).Body
		if strings.Contains(page, "13700137000") {
			t.Error("the contact's page shows the new number in full")
		}
		history := page[strings.Index(page, `id="ct-history"`):]
		if !strings.Contains(history, "137****7000") || !strings.Contains(history, "138****8000") || !strings.Contains(history, "2026-12-04") {
			t.Errorf("history does not show the old and new numbers masked and the date: %s", history)
		}
		ct, err := tc.db.FindContact(context.Background(), fx.OwnContact.ID)
		must(t, err)
		if ct.Mobile != "13700137000" || ct.Status != taxsms.ServiceActive || ct.StatusChannel != taxsms.ChannelSelf {
			t.Errorf("contact = %s %s %s, want the new number, still active, self-service", taxsms.MaskMobile(ct.Mobile), ct.Status, ct.StatusChannel)
		}
		found := false
		for e, err := range tc.db.ExportAudit(context.Background(), audit.Filter{Action: audit.ContactChanged, ObjectID: fmt.Sprint(ct.ID), ObjectType: "contact"}) {
			must(t, err)
			rec := string(e.Before) + string(e.After) + e.Detail
			if strings.Contains(rec, "13700137000") || strings.Contains(rec, "13800138000") {
				t.Errorf("audit record %d holds a full number: %s", e.Seq, rec)
			}
			if strings.Contains(string(e.After), "137****7000") && strings.Contains(string(e.Before), "138****8000") && e.Actor.UserID == tc.users[taxsms.RoleBranchAdmin].ID && e.IP != "" {
				found = true
			}
		}
		if !found {
			t.Error("no audit record of the change by the branch administrator, from its address, with the numbers masked")
		}
	})

	t.Run("CancelAndActivate", func(t *testing.T) {
		for _, step := range []struct{ step, want string }{{"cancel", "cancelled"}, {"activate", "active"}} {
			if r := post(step.step, url.Values{"channel": {"window"}}); r.Status != http.StatusSeeOther {
				t.Fatalf("%s = %d\n%s", step.step, r.Status, r.Body)
			}
			ct, _ := tc.db.FindContact(context.Background(), fx.OwnContact.ID)
			if string(ct.Status) != step.want {
				t.Errorf("after %s: status %s, want %s", step.step, ct.Status, step.want)
			}
		}
		ev, _ := tc.db.ContactEvents(context.Background(), fx.OwnContact.ID)
		if len(ev) != 4 {
			t.Errorf("history has %d events, want 4 (created, number, cancelled, activated)", len(ev))
		}
	})

	t.Run("Edit", func(t *testing.T) {
		form := url.Values{"csrf_token": {b.csrf(path)}, "role": {"tax_clerk"}, "name": {"张伟伟"}}
		if r := b.post(path, form); r.Status != http.StatusSeeOther {
			t.Fatalf("edit = %d\n%s", r.Status, r.Body)
		}
		form.Set("role", "boss")
		if r := b.post(path, form); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `id="f-role-error"`) {
			t.Errorf("edit with an unknown role = %d, want 400 beside the role", r.Status)
		}
	})

	t.Run("AddContact", func(t *testing.T) {
		tp := fmt.Sprintf("/taxpayers/%d", fx.Own.ID)
		form := url.Values{"csrf_token": {b.csrf(tp)}, "role": {"finance"}, "contact_name": {"王芳"}, "mobile": {"13600136000"}, "status": {"pending"}, "channel": {"window"}}
		r := b.post(tp+"/contacts", form)
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/contacts/") {
			t.Fatalf("add contact = %d → %q\n%s", r.Status, r.Location, r.Body)
		}
		if r := b.post(tp+"/contacts", form); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `id="form-error"`) {
			t.Errorf("a second contact in the same role = %d, want 400 with the form's error", r.Status)
		}
		form.Set("role", "tax_clerk")
		form.Set("mobile", "12")
		if r := b.post(tp+"/contacts", form); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `id="f-mobile-error"`) {
			t.Errorf("a bad number = %d, want 400 beside the number", r.Status)
		}
	})

	t.Run("EditTaxpayer", func(t *testing.T) {
		tp := fmt.Sprintf("/taxpayers/%d", fx.Own.ID)
		form := url.Values{"csrf_token": {b.csrf(tp)}, "name": {"青岛海纳商贸有限公司"}, "reg_status": {"registered"}, "industry": {"零售业"}, "tax_types": {"增值税，企业所得税"}, "remote_filer": {"1"}}
		if r := b.post(tp, form); r.Status != http.StatusSeeOther {
			t.Fatalf("edit taxpayer = %d\n%s", r.Status, r.Body)
		}
		got, _ := tc.db.FindTaxpayer(context.Background(), fx.Own.ID)
		if got.Name != "青岛海纳商贸有限公司" || len(got.TaxTypes) != 2 || !got.RemoteFiler {
			t.Errorf("taxpayer = %+v", got)
		}
		for _, tt := range []struct{ field, value, errorID string }{
			{"name", "", "f-name-error"},
			{"reg_status", "cancelled", "f-cancelled_on-error"},
			{"changed_on", "2026-13-45", "f-changed_on-error"},
		} {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			f.Set(tt.field, tt.value)
			if r := b.post(tp, f); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `id="`+tt.errorID+`"`) {
				t.Errorf("%s=%q: %d, want 400 with %s", tt.field, tt.value, r.Status, tt.errorID)
			}
		}
	})

	t.Run("Refused", func(t *testing.T) {
		// The operator lacks manage_taxpayers; the auditor changes nothing.
		for _, role := range []taxsms.Role{taxsms.RoleOperator, taxsms.RoleAuditor} {
			o := tc.browser()
			o.mustSignIn(tc.users[role].Login)
			form := url.Values{"csrf_token": {o.csrf("/")}, "mobile": {"13500135000"}, "channel": {"window"}}
			if r := o.post(path+"/change-number", form); r.Status != http.StatusForbidden {
				t.Errorf("%s: change number = %d, want 403", role, r.Status)
			}
		}
	})
}

func regexpFind(s, expr string) string {
	m := regexp.MustCompile(expr).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestConsole_ContactReveal(t *testing.T) {
	tc := startConsole(t)
	fx := tc.dataFixture()
	path := fmt.Sprintf("/contacts/%d", fx.OwnContact.ID)
	for _, tt := range []struct {
		role  taxsms.Role
		offer bool
	}{{taxsms.RoleBranchAdmin, true}, {taxsms.RoleOperator, false}} {
		b := tc.browser()
		b.mustSignIn(tc.users[tt.role].Login)
		page := b.get(path).Body
		if got := strings.Contains(page, `action="/reveal"`); got != tt.offer {
			t.Errorf("%s: reveal offered = %v, want %v", tt.role, got, tt.offer)
		}
		if !tt.offer {
			continue
		}
		m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"><input type="hidden" name="kind" value="contact"><input type="hidden" name="id" value="([0-9]+)"><input type="hidden" name="next" value="([^"]+)"`).FindStringSubmatch(page)
		if m == nil || m[2] != fmt.Sprint(fx.OwnContact.ID) || m[3] != path {
			t.Fatalf("%s: the reveal form does not name the contact and the way back: %v", tt.role, m)
		}
		r := b.post("/reveal", url.Values{"csrf_token": {m[1]}, "kind": {"contact"}, "id": {m[2]}, "next": {m[3]}, "reason": {"核实联系人"}})
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "13800138000") {
			t.Errorf("%s: reveal = %d without the full number", tt.role, r.Status)
		}
		if page := b.get(path).Body; strings.Contains(page, "13800138000") {
			t.Errorf("%s: the contact's page shows the number in full after a reveal", tt.role)
		}
	}
}

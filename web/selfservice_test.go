package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
)

// selfFixture is a console with one taxpayer and two contacts: a pending
// head of finance and an active legal representative.
type selfFixture struct {
	*testConsole
	tp              *taxsms.Taxpayer
	pending, active *taxsms.Contact
}

func startSelf(t testing.TB) *selfFixture {
	t.Helper()
	tc := startConsole(t)
	ctx := context.Background()
	first := "913702000000000042"[:17]
	tp := &taxsms.Taxpayer{Identifier: first + string(taxsms.USCCCheck(first)), Name: "青岛海风贸易有限公司",
		OfficeID: tc.users[taxsms.RoleOperator].OfficeID, Registered: taxsms.Date{Year: 2020, Month: 3, Day: 1}}
	must(t, tc.db.CreateTaxpayer(ctx, tp))
	pending := &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleFinance, Name: "王会计", Mobile: "13800130001", Status: taxsms.ServicePending}
	must(t, tc.db.CreateContact(ctx, pending))
	active := &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleLegalRep, Name: "张伟", Mobile: "13800130002", Status: taxsms.ServiceActive}
	must(t, tc.db.CreateContact(ctx, active))
	return &selfFixture{testConsole: tc, tp: tp, pending: pending, active: active}
}

var selfTokenRE = regexp.MustCompile(`name="token" value="([^"]*)"`)

// ask posts the details form and returns the answer and its challenge.
func (f *selfFixture) ask(b *browser, identifier string, role taxsms.ContactRole, name, mobile string) (response, string) {
	f.t.Helper()
	r := b.post("/self", url.Values{"csrf_token": {b.csrf("/self")}, "identifier": {identifier}, "role": {string(role)},
		"name": {name}, "mobile": {mobile}})
	token := ""
	if m := selfTokenRE.FindStringSubmatch(r.Body); m != nil {
		token = m[1]
	}
	return r, token
}

func (f *selfFixture) confirm(b *browser, token, code string) response {
	f.t.Helper()
	return b.post("/self/confirm", url.Values{"csrf_token": {b.csrf("/self")}, "token": {token}, "code": {code}})
}

// messages returns the messages to mobile, newest first.
func (f *selfFixture) messages(mobile string) []*taxsms.Message {
	f.t.Helper()
	ms, err := f.db.ListMessages(context.Background(), taxsms.MessageFilter{Mobile: mobile})
	must(f.t, err)
	return ms
}

// code returns the code of the newest one-time code message to mobile.
func (f *selfFixture) code(mobile string) string {
	f.t.Helper()
	for _, m := range f.messages(mobile) {
		if m.Kind == taxsms.KindOTP {
			if m.Priority != taxsms.PriorityInteractive || m.Status != taxsms.StatusQueued || !strings.Contains(m.Body, "5 分钟内有效") {
				f.t.Errorf("code message = %+v", m)
			}
			return regexp.MustCompile(`\d{6}`).FindString(m.Body)
		}
	}
	f.t.Fatalf("no code sent to %s", mobile)
	return ""
}

func (f *selfFixture) text(key string, args ...any) string { return f.c.cat.T(LangZH, key, args...) }

func TestSelfService_Apply(t *testing.T) {
	for _, tt := range []struct {
		name      string
		contact   func(f *selfFixture) *taxsms.Contact
		done      string
		activated bool
	}{
		{"Activate", func(f *selfFixture) *taxsms.Contact { return f.pending }, "self.done_activated", true},
		{"ChangeNumber", func(f *selfFixture) *taxsms.Contact { return f.active }, "self.done_changed", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := startSelf(t)
			c := tt.contact(f)
			b := f.browser()
			if r := b.get("/self"); r.Status != 200 || !strings.Contains(r.Body, `name="identifier"`) {
				t.Fatalf("GET /self = %d %q", r.Status, r.Body)
			}
			const newMobile = "13900001111"
			r, token := f.ask(b, strings.ToLower(f.tp.Identifier), c.Role, c.Name, "139 0000 1111")
			if r.Status != 200 || token == "" || !strings.Contains(r.Body, f.text("self.sent")) {
				t.Fatalf("ask = %d %q", r.Status, r.Body)
			}
			if strings.Contains(r.Body, f.tp.Name) || strings.Contains(r.Body, c.Mobile) {
				t.Error("the code step shows the taxpayer's data")
			}
			code := f.code(newMobile)
			r = f.confirm(b, token, code)
			if r.Status != 200 || !strings.Contains(r.Body, f.text(tt.done, "139****1111")) {
				t.Fatalf("confirm = %d %q", r.Status, r.Body)
			}
			got, err := f.db.FindContact(context.Background(), c.ID)
			must(t, err)
			if got.Mobile != newMobile || got.Status != taxsms.ServiceActive || got.StatusChannel != taxsms.ChannelSelf {
				t.Errorf("contact = %+v", got)
			}
			old := f.messages(c.Mobile)
			if len(old) != 1 || old[0].Body != f.text("self.sms_moved", "139****1111") || old[0].Priority != taxsms.PriorityInteractive {
				t.Errorf("announcement to the old number = %+v", old)
			}
			es, err := f.db.ListAudit(context.Background(), audit.Filter{Action: audit.ContactChanged, ObjectType: "contact", ObjectID: fmt.Sprint(c.ID)})
			must(t, err)
			e := es[0]
			if e.Actor.Kind != audit.ActorSystem || e.IP != "127.0.0.1" || strings.Contains(string(e.After), newMobile) ||
				!strings.Contains(string(e.After), "139****1111") || !strings.Contains(e.Detail, "self-service") {
				t.Errorf("audit = %+v %s", e, e.After)
			}
			if r := f.confirm(b, token, code); r.Status != http.StatusForbidden || !strings.Contains(r.Body, f.text("self.code_expired")) {
				t.Errorf("second use = %d", r.Status)
			}
		})
	}
}

// TestSelfService_WrongDetails checks that wrong details give the page
// that right ones give, and queue nothing.
func TestSelfService_WrongDetails(t *testing.T) {
	f := startSelf(t)
	strip := regexp.MustCompile(`value="[^"]*"`)
	b := f.browser()
	right, _ := f.ask(b, f.tp.Identifier, taxsms.RoleFinance, "王会计", "13900002222")
	want := strip.ReplaceAllString(right.Body, "")
	// A well-formed credit code of no taxpayer in the store.
	const first = "91370200MA3C00000"
	unknown := first + string(taxsms.USCCCheck(first))
	for i, tt := range []struct {
		identifier string
		role       taxsms.ContactRole
		name       string
	}{
		{unknown, taxsms.RoleFinance, "王会计"},
		{f.tp.Identifier, taxsms.RoleTaxClerk, "王会计"},
		{f.tp.Identifier, taxsms.RoleFinance, "王五"},
		{f.tp.Identifier, taxsms.RoleLegalRep, "王会计"},
	} {
		mobile := fmt.Sprintf("1390000300%d", i)
		r, token := f.ask(b, tt.identifier, tt.role, tt.name, mobile)
		if r.Status != right.Status || strip.ReplaceAllString(r.Body, "") != want || token == "" {
			t.Errorf("%d: wrong details answer %d, unlike right ones:\n%s", i, r.Status, r.Body)
		}
		if ms := f.messages(mobile); len(ms) != 0 {
			t.Errorf("%d: %d messages queued for wrong details", i, len(ms))
		}
		if r := f.confirm(b, token, "123456"); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, f.text("self.code_wrong")) {
			t.Errorf("%d: a code for wrong details = %d", i, r.Status)
		}
	}
}

func TestSelfService_Code(t *testing.T) {
	t.Run("FiveWrongLock", func(t *testing.T) {
		f := startSelf(t)
		b := f.browser()
		_, token := f.ask(b, f.tp.Identifier, taxsms.RoleFinance, "王会计", "13900004444")
		code := f.code("13900004444")
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		for i := range 4 {
			r := f.confirm(b, token, wrong)
			if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, f.text("self.code_wrong")) || !strings.Contains(r.Body, token) {
				t.Fatalf("wrong code %d = %d %q", i+1, r.Status, r.Body)
			}
		}
		if r := f.confirm(b, token, wrong); r.Status != http.StatusForbidden || !strings.Contains(r.Body, f.text("self.code_locked")) {
			t.Fatalf("fifth wrong code = %d", r.Status)
		}
		if r := f.confirm(b, token, code); r.Status != http.StatusForbidden || !strings.Contains(r.Body, f.text("self.code_locked")) {
			t.Fatalf("right code after five wrong = %d", r.Status)
		}
		if got, _ := f.db.FindContact(context.Background(), f.pending.ID); got.Status != taxsms.ServicePending {
			t.Errorf("contact changed: %+v", got)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		f := startSelf(t)
		b := f.browser()
		_, token := f.ask(b, f.tp.Identifier, taxsms.RoleFinance, "王会计", "13900005555")
		code := f.code("13900005555")
		f.clock.Add(5*time.Minute + time.Second)
		if r := f.confirm(b, token, code); r.Status != http.StatusForbidden || !strings.Contains(r.Body, f.text("self.code_expired")) {
			t.Fatalf("expired code = %d %q", r.Status, r.Body)
		}
	})
	t.Run("Format", func(t *testing.T) {
		f := startSelf(t)
		b := f.browser()
		for _, code := range []string{"", "12345", "1234567", "12a456", "１２３４５６"} {
			if r := f.confirm(b, "x", code); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, f.text("self.code_format")) {
				t.Errorf("code %q = %d", code, r.Status)
			}
		}
	})
}

func TestSelfService_Form(t *testing.T) {
	f := startSelf(t)
	b := f.browser()
	for _, tt := range []struct {
		identifier, role, name, mobile string
		field                          string
	}{
		{"", "finance", "王会计", "13900006666", "identifier"},
		{f.tp.Identifier, "boss", "王会计", "13900006666", "role"},
		{f.tp.Identifier, "finance", "", "13900006666", "name"},
		{f.tp.Identifier, "finance", "王会计", "12345", "mobile"},
		{strings.Repeat("9", 41), "finance", "王会计", "13900006666", "identifier"},
	} {
		r := b.post("/self", url.Values{"csrf_token": {b.csrf("/self")}, "identifier": {tt.identifier}, "role": {tt.role},
			"name": {tt.name}, "mobile": {tt.mobile}})
		if r.Status != http.StatusBadRequest || !hasFieldError(r.Body, tt.field) {
			t.Errorf("%+v = %d, want 400 with an error on %s", tt, r.Status, tt.field)
		}
	}
}

func TestSelfService_RateLimits(t *testing.T) {
	t.Run("PerNumber", func(t *testing.T) {
		f := startSelf(t)
		b := f.browser()
		for i := range 3 {
			if r, _ := f.ask(b, f.tp.Identifier, taxsms.RoleFinance, "王会计", "13900007777"); r.Status != 200 {
				t.Fatalf("request %d = %d", i+1, r.Status)
			}
		}
		r, token := f.ask(b, f.tp.Identifier, taxsms.RoleFinance, "王会计", "13900007777")
		if r.Status != http.StatusTooManyRequests || token != "" || !strings.Contains(r.Body, f.text("self.limit_number")) {
			t.Fatalf("fourth request = %d %q", r.Status, r.Body)
		}
		if n := len(f.messages("13900007777")); n != 3 {
			t.Errorf("%d codes sent, want 3", n)
		}
		f.clock.Add(time.Hour + time.Second)
		if r, _ := f.ask(b, f.tp.Identifier, taxsms.RoleFinance, "王会计", "13900007777"); r.Status != 200 {
			t.Fatalf("an hour later = %d", r.Status)
		}
	})
	t.Run("PerAddress", func(t *testing.T) {
		f := startSelf(t)
		b := f.browser()
		for i := range 10 {
			if r, _ := f.ask(b, "X", taxsms.RoleFinance, "某人", fmt.Sprintf("1390000800%d", i)); r.Status != 200 {
				t.Fatalf("request %d = %d", i+1, r.Status)
			}
		}
		r, _ := f.ask(b, "X", taxsms.RoleFinance, "某人", "13900009000")
		if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, f.text("self.limit_address")) {
			t.Fatalf("eleventh request = %d %q", r.Status, r.Body)
		}
	})
}

func TestSelfService_CSRF(t *testing.T) {
	f := startSelf(t)
	b := f.browser()
	form := url.Values{"identifier": {f.tp.Identifier}, "role": {"finance"}, "name": {"王会计"}, "mobile": {"13900001212"}}
	for _, path := range []string{"/self", "/self/confirm"} {
		if r := b.post(path, form); r.Status != http.StatusForbidden {
			t.Errorf("POST %s without a token = %d, want 403", path, r.Status)
		}
	}
	// A token of another browser's pre-session.
	other := f.browser()
	form.Set("csrf_token", other.csrf("/self"))
	b.get("/self")
	if r := b.post("/self", form); r.Status != http.StatusForbidden {
		t.Errorf("POST /self with another browser's token = %d, want 403", r.Status)
	}
	if ms := f.messages("13900001212"); len(ms) != 0 {
		t.Errorf("%d messages queued without CSRF", len(ms))
	}
}

// FuzzSelfServiceForm posts arbitrary details and codes: the page answers
// 200, 400, 403 or 429, never a server error.
func FuzzSelfServiceForm(f *testing.F) {
	f.Add("913702000000000042", "finance", "王会计", "13900001111", "tok", "123456")
	f.Add("", "", "", "", "", "")
	f.Add("\x00\xff", "legal_rep", "<script>", "+86 139-0000-1111", "%%%", "１２３４５６")
	s := startSelf(f)
	f.Fuzz(func(t *testing.T, identifier, role, name, mobile, token, code string) {
		b := s.browser()
		b.t = t
		s.clock.Add(2 * time.Hour) // keep clear of the rate limits
		r := b.post("/self", url.Values{"csrf_token": {b.csrf("/self")}, "identifier": {identifier}, "role": {role}, "name": {name}, "mobile": {mobile}})
		switch r.Status {
		case 200, 400, 429:
		default:
			t.Fatalf("POST /self = %d %q", r.Status, r.Body)
		}
		r = b.post("/self/confirm", url.Values{"csrf_token": {b.csrf("/self")}, "token": {token}, "code": {code}})
		switch r.Status {
		case 400, 403:
		default:
			t.Fatalf("POST /self/confirm = %d %q", r.Status, r.Body)
		}
	})
}

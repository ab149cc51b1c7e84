package main

// The console's browser tests: headless Chromium, driven by chromedp, uses
// the console of a real "taxsms demo" node (a small synthetic city in a
// SQLite file, the carrier simulator, the accounts the demo prints) as a
// member of staff would, and each test asserts what the page shows.
//
// One browser serves the whole test; every subtest opens its own tab in its
// own browser context (its own cookies), so subtests run in parallel.
// Without a Chromium the test skips, unless TAXSMS_CI is set.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/pii"
	"taxsms/store"
)

// browserWait bounds each step of a browser test: a page load, a wait for
// an element, a click.
const browserWait = 10 * time.Second

func TestConsole_Browser(t *testing.T) {
	exe := chromiumPath(t)
	cat := loadTexts(t)
	node := startDemoNode(t)
	browser := startBrowser(t, exe)
	c := &console{node: node, browser: browser, cat: cat}

	// Every account the demo printed signs in and sees the dashboard.
	t.Run("SignIn", func(t *testing.T) {
		t.Parallel()
		for _, role := range taxsms.Roles {
			t.Run(string(role), func(t *testing.T) {
				t.Parallel()
				u := c.node.account(t, role)
				b := c.tab(t)
				b.open("/")
				if got := b.path(); got != "/login" {
					t.Errorf("signed out, / leads to %q, want /login", got)
				}
				b.signIn(u.Login, u.Password)
				b.waitText("main h1", c.t("zh", "dash.title"))
				if got := b.text("details.account .role"); got != c.t("zh", "role."+string(role)) {
					t.Errorf("account menu role = %q, want %q", got, c.t("zh", "role."+string(role)))
				}
				// A maintainer reads no messages: the carrier links, no chart.
				charts := b.count("main svg")
				if role == taxsms.RoleMaintainer {
					if charts != 0 {
						t.Errorf("the maintainer's dashboard draws %d charts of messages, want none", charts)
					}
					if got := b.text("main"); !strings.Contains(got, c.t("zh", "dash.links")) {
						t.Errorf("the maintainer's dashboard does not show the carrier links:\n%s", got)
					}
				} else if charts == 0 {
					t.Errorf("the dashboard draws no chart")
				}
			})
		}
	})

	t.Run("ErrWrongPassword", func(t *testing.T) {
		t.Parallel()
		op := c.node.account(t, taxsms.RoleAuditor)
		want := c.t("zh", "signin.failed")
		for _, tt := range []struct{ name, login, password string }{
			{"WrongPassword", op.Login, op.Password + "x"},
			{"UnknownLogin", "nobody.here", op.Password},
		} {
			t.Run(tt.name, func(t *testing.T) {
				b := c.tab(t)
				b.open("/login")
				status := b.submit(`form[action="/login"]`, map[string]string{"#f-login": tt.login, "#f-password": tt.password})
				if status != 401 {
					t.Errorf("status = %d, want 401", status)
				}
				if got := b.text("#form-error"); got != want {
					t.Errorf("error = %q, want the generic %q", got, want)
				}
				if got := b.value("#f-password"); got != "" {
					t.Errorf("the password field keeps %q, want it empty", got)
				}
				if got := b.path(); got != "/login" {
					t.Errorf("page = %q, want /login", got)
				}
			})
		}
	})

	t.Run("Keyboard", func(t *testing.T) {
		t.Parallel()
		op := c.node.account(t, taxsms.RoleMaintainer)
		b := c.tab(t)
		b.open("/login")
		b.waitEval(`document.activeElement && document.activeElement.id`, "f-login") // autofocus
		// Type the login, Tab to the password, Enter submits.
		b.navigate(chromedp.KeyEvent(op.Login + "\t" + op.Password + "\r"))
		b.waitText("main h1", c.t("zh", "dash.title"))
		if got := b.text("details.account .role"); got != c.t("zh", "role.maintainer") {
			t.Errorf("signed in with the keyboard as %q, want %q", got, c.t("zh", "role.maintainer"))
		}
	})

	// Every field of the pages has a label (or an accessible name) and the
	// page a title and one h1.
	t.Run("Labels", func(t *testing.T) {
		t.Parallel()
		u := c.node.account(t, taxsms.RoleCityAdmin)
		tp := c.node.taxpayers(t, c.node.account(t, taxsms.RoleOperator).Login, 1)[0]
		b := c.tab(t)
		check := func(page string) {
			t.Helper()
			unlabelled := b.eval(`[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
				.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
				.map(e => e.name || e.id).join(' ')`)
			if unlabelled != "" {
				t.Errorf("%s: fields without a label: %s", page, unlabelled)
			}
			if n := b.count("h1"); n != 1 {
				t.Errorf("%s: %d h1, want 1", page, n)
			}
			if title := b.eval(`document.title`); title == "" {
				t.Errorf("%s: no title", page)
			}
		}
		b.open("/login")
		check("/login")
		b.signIn(u.Login, u.Password)
		for _, page := range []string{"/", "/taxpayers", fmt.Sprintf("/taxpayers/%d", tp.ID), "/messages", "/inbound", "/links",
			"/offices", "/users", "/users/new", "/keys", "/audit", "/account/password", "/account/totp"} {
			if resp := b.open(page); resp.Status != 200 {
				t.Errorf("%s: status %d", page, resp.Status)
				continue
			}
			check(page)
		}
		b.open(fmt.Sprintf("/taxpayers/%d", tp.ID))
		b.navigate(chromedp.Click(chromedp.CSS(`section[aria-labelledby="tp-contacts"] a[href^="/contacts/"]`)))
		check(b.path())
	})

	t.Run("TOTP", func(t *testing.T) {
		t.Parallel()
		admin := c.node.newUser(t, "browser.totp", taxsms.RoleCityAdmin)
		b := c.tab(t)
		b.open("/login")
		b.signIn(admin.Login, admin.Password)
		// Enrol from the account menu: the page shows the secret.
		b.open("/account/totp")
		secret := strings.ReplaceAll(b.text("code.secret"), " ", "")
		if secret == "" {
			t.Fatal("the enrolment page shows no secret")
		}
		b.submit(`form[action="/account/totp"]`, map[string]string{"#f-code": totpCode(t, secret, 0)})
		if got := b.text("main"); !strings.Contains(got, c.t("zh", "totp.enrolled")) {
			t.Errorf("after enrolment the page does not say %q:\n%s", c.t("zh", "totp.enrolled"), got)
		}
		b.signOut()

		// Signing in now asks for the code after the password.
		b.submit(`form[action="/login"]`, map[string]string{"#f-login": admin.Login, "#f-password": admin.Password})
		if got := b.path(); got != "/login/totp" {
			t.Fatalf("after the password of a user with a second factor: %q, want /login/totp", got)
		}
		b.waitText("main h1", c.t("zh", "totp.step_title"))
		if status := b.submit(`form[action="/login/totp"]`, map[string]string{"#f-code": "000000"}); status != 401 {
			t.Errorf("wrong code: status %d, want 401", status)
		}
		if got := b.text("#f-code-error"); got == "" {
			t.Errorf("a wrong code shows no error beside the field")
		}
		// The next step's code: the one used to enrol cannot serve twice.
		b.submit(`form[action="/login/totp"]`, map[string]string{"#f-code": totpCode(t, secret, 1)})
		b.waitText("main h1", c.t("zh", "dash.title"))
		if got := b.text("details.account .role"); got != c.t("zh", "role.city_admin") {
			t.Errorf("signed in as %q, want %q", got, c.t("zh", "role.city_admin"))
		}
	})

	// A node whose configuration requires a second factor of city
	// administrators: the first sign-in enrols, the next asks for a code.
	t.Run("TOTPRequired", func(t *testing.T) {
		t.Parallel()
		base, admin := startTOTPNode(t)
		b := c.tabAt(t, base)
		b.open("/login")
		b.submit(`form[action="/login"]`, map[string]string{"#f-login": admin.Login, "#f-password": admin.Password})
		if got := b.path(); got != "/login/enrol" {
			t.Fatalf("first sign-in of an administrator without a second factor: %q, want /login/enrol", got)
		}
		if n := b.count("main svg.qr"); n != 1 {
			t.Errorf("the enrolment page shows %d QR codes, want 1", n)
		}
		secret := strings.ReplaceAll(b.text("code.secret"), " ", "")
		b.submit(`form[action="/login/enrol"]`, map[string]string{"#f-code": totpCode(t, secret, 0)})
		b.waitText("main h1", c.t("zh", "dash.title"))
		b.signOut()
		b.submit(`form[action="/login"]`, map[string]string{"#f-login": admin.Login, "#f-password": admin.Password})
		if got := b.path(); got != "/login/totp" {
			t.Fatalf("sign-in after enrolment: %q, want /login/totp", got)
		}
		b.submit(`form[action="/login/totp"]`, map[string]string{"#f-code": totpCode(t, secret, 1)})
		b.waitText("main h1", c.t("zh", "dash.title"))
		if got := b.text("details.account .role"); got != c.t("zh", "role.city_admin") {
			t.Errorf("signed in as %q, want %q", got, c.t("zh", "role.city_admin"))
		}
	})

	t.Run("Language", func(t *testing.T) {
		t.Parallel()
		u := c.node.newUser(t, "browser.lang", taxsms.RoleAuditor)
		b := c.tab(t)
		b.open("/login")
		// Before sign-in the browser keeps the choice.
		b.navigate(chromedp.Click(chromedp.CSS(`form.lang button[value="en"]`)))
		b.waitText("main h1", c.t("en", "signin.title"))
		if got := b.attr("html", "lang"); got != "en" {
			t.Errorf("html lang = %q, want en", got)
		}
		// Signed in, the language is the user's (the choice before sign-in
		// is not carried over): switch it and reload.
		b.signIn(u.Login, u.Password)
		for _, tt := range []struct{ lang, htmlLang string }{{"zh", "zh-CN"}, {"en", "en"}, {"zh", "zh-CN"}} {
			b.navigate(chromedp.Click(chromedp.CSS(`form.lang button[value="` + tt.lang + `"]`)))
			b.waitText("main h1", c.t(tt.lang, "dash.title"))
			b.navigate(chromedp.Reload())
			if got := b.text("main h1"); got != c.t(tt.lang, "dash.title") {
				t.Errorf("after reload the title is %q, want %q", got, c.t(tt.lang, "dash.title"))
			}
			if got := b.attr("html", "lang"); got != tt.htmlLang {
				t.Errorf("html lang = %q, want %q", got, tt.htmlLang)
			}
			if got := b.attr(`form.lang button[value="`+tt.lang+`"]`, "aria-pressed"); got != "true" {
				t.Errorf("the %s button is not pressed: aria-pressed=%q", tt.lang, got)
			}
			if got := b.text("details.account .role"); got != c.t(tt.lang, "role.auditor") {
				t.Errorf("role = %q, want %q", got, c.t(tt.lang, "role.auditor"))
			}
		}
		// The choice is the user's: another browser gets it once signed in.
		b.navigate(chromedp.Click(chromedp.CSS(`form.lang button[value="en"]`)))
		b2 := c.tab(t)
		b2.open("/login")
		b2.waitText("main h1", c.t("zh", "signin.title"))
		b2.signIn(u.Login, u.Password)
		b2.waitText("main h1", c.t("en", "dash.title"))
	})

	t.Run("SignOut", func(t *testing.T) {
		t.Parallel()
		u := c.node.account(t, taxsms.RoleBranchAdmin)
		b := c.tab(t)
		b.open("/login")
		b.signIn(u.Login, u.Password)
		resp := b.open("/")
		if got := resp.Headers["Cache-Control"]; got != "no-store" {
			t.Errorf("dashboard Cache-Control = %v, want no-store", got)
		}
		b.waitText("main h1", c.t("zh", "dash.title"))
		b.signOut()
		if got := b.text("main [role=status]"); got != c.t("zh", "signout.done") {
			t.Errorf("after sign-out the page says %q, want %q", got, c.t("zh", "signout.done"))
		}
		// Back shows the sign-in page again, not the dashboard.
		b.navigate(chromedp.NavigateBack())
		b.waitText("main h1", c.t("zh", "signin.title"))
		if got := b.path(); got != "/login" {
			t.Errorf("back after sign-out shows %q, want /login", got)
		}
		if got := b.text("body"); strings.Contains(got, c.t("zh", "dash.today_sent")) {
			t.Errorf("back after sign-out shows the dashboard's figures:\n%s", got)
		}
		if n := b.count("details.account"); n != 0 {
			t.Errorf("back after sign-out shows the account menu")
		}
	})

	t.Run("Refused", func(t *testing.T) {
		t.Parallel()
		own, other := c.node.operators(t, c.node.account(t, taxsms.RoleBranchAdmin).Login)
		mine := c.node.taxpayers(t, c.node.account(t, taxsms.RoleOperator).Login, 1)[0]
		elsewhere := c.node.taxpayerOutside(t, mine.OfficeID)
		tabs := map[taxsms.Role]*tab{}
		for _, tt := range []struct {
			name   string
			role   taxsms.Role
			path   string
			status int64
			title  string // the page's h1: a catalogue key, or the text itself
		}{
			{"UnknownPage", taxsms.RoleOperator, "/no/such/page", 404, "error.not_found"},
			{"OperatorOwnTaxpayer", taxsms.RoleOperator, fmt.Sprintf("/taxpayers/%d", mine.ID), 200, mine.Name},
			{"OperatorOtherOfficeTaxpayer", taxsms.RoleOperator, fmt.Sprintf("/taxpayers/%d", elsewhere.ID), 404, "error.not_found"},
			{"BranchOtherOfficeTaxpayer", taxsms.RoleBranchAdmin, fmt.Sprintf("/taxpayers/%d", elsewhere.ID), 404, "error.not_found"},
			{"MaintainerTaxpayers", taxsms.RoleMaintainer, "/taxpayers", 403, "error.forbidden"},
			{"MaintainerTaxpayer", taxsms.RoleMaintainer, fmt.Sprintf("/taxpayers/%d", mine.ID), 403, "error.forbidden"},
			{"OperatorAudit", taxsms.RoleOperator, "/audit", 403, "error.forbidden"},
			{"OperatorNewUser", taxsms.RoleOperator, "/users/new", 403, "error.forbidden"},
			{"MaintainerNewOffice", taxsms.RoleMaintainer, "/offices/new", 403, "error.forbidden"},
			{"BranchOffices", taxsms.RoleBranchAdmin, "/offices", 403, "error.forbidden"},
			{"BranchOtherOfficeUser", taxsms.RoleBranchAdmin, fmt.Sprintf("/users/%d", other.ID), 404, "error.not_found"},
			{"BranchOwnUser", taxsms.RoleBranchAdmin, fmt.Sprintf("/users/%d", own.ID), 200, own.Name + " " + own.Login},
		} {
			// One tab per role, signed in once.
			if tabs[tt.role] == nil {
				u := c.node.account(t, tt.role)
				tabs[tt.role] = c.tab(t)
				tabs[tt.role].signIn(u.Login, u.Password)
			}
			t.Run(tt.name, func(t *testing.T) {
				b := tabs[tt.role].in(t)
				resp := b.open(tt.path)
				if resp.Status != tt.status {
					t.Errorf("status = %d, want %d", resp.Status, tt.status)
				}
				title := tt.title
				if _, ok := c.cat[title]; ok {
					title = c.t("zh", title)
				}
				b.waitText("main h1", title)
				if n := b.count("details.account"); n != 1 {
					t.Errorf("the page is not in the layout of a signed-in user")
				}
			})
		}
	})

	t.Run("Search", func(t *testing.T) {
		t.Parallel()
		op := c.node.account(t, taxsms.RoleOperator)
		tps := c.node.taxpayers(t, op.Login, 1)
		tp := tps[0]
		name := []rune(tp.Name)
		b := c.tab(t)
		b.signIn(op.Login, op.Password)
		for _, tt := range []struct {
			name  string
			field string
			value string
		}{
			{"ByIdentifier", "#f-identifier", tp.Identifier},
			{"ByName", "#f-name", string(name[1:])}, // contains, not only a prefix
		} {
			t.Run(tt.name, func(t *testing.T) {
				b.open("/")
				b.navigate(chromedp.Click(chromedp.CSS(`nav a[href="/taxpayers"]`)))
				b.waitText("main h1", c.t("zh", "tp.title"))
				b.submit(`form[action="/taxpayers"]`, map[string]string{tt.field: tt.value})
				b.waitText("#tp-results", c.t("zh", "tp.results"))
				link := fmt.Sprintf(`main table a[href="/taxpayers/%d"]`, tp.ID)
				if got := b.text(link); got != tp.Identifier {
					t.Fatalf("result link = %q, want the identifier %s", got, tp.Identifier)
				}
				b.navigate(chromedp.Click(chromedp.CSS(link)))
				b.waitText("main h1", tp.Name)
				if got := b.text("main dl"); !strings.Contains(got, tp.Identifier) {
					t.Errorf("the taxpayer's page does not show its identifier %s:\n%s", tp.Identifier, got)
				}
				if got := b.text(`section[aria-labelledby="tp-contacts"]`); !regexp.MustCompile(`1\d\d\*{4}\d{4}`).MatchString(got) {
					t.Errorf("the contacts show no masked number:\n%s", got)
				}
			})
		}
	})

	t.Run("ContactNumber", func(t *testing.T) {
		t.Parallel()
		const mobile, masked = "13812341234", "138****1234"
		admin := c.node.account(t, taxsms.RoleBranchAdmin)
		tp := c.node.taxpayers(t, c.node.account(t, taxsms.RoleOperator).Login, 2)[1]
		b := c.tab(t)
		b.signIn(admin.Login, admin.Password)
		b.open(fmt.Sprintf("/taxpayers/%d", tp.ID))
		b.waitText("main h1", tp.Name)
		b.navigate(chromedp.Click(chromedp.CSS(`section[aria-labelledby="tp-contacts"] a[href^="/contacts/"]`)))
		contact := b.path()
		before := b.text("main dl .mobile")
		if before == masked {
			t.Fatalf("the contact already has %s", masked)
		}
		form := fmt.Sprintf(`form[action="%s/change-number"]`, contact)
		b.submit(form, map[string]string{"#f-change-number-mobile": mobile})
		b.waitText("main [role=status]", c.t("zh", "ct.step_done.change-number"))
		if got := b.text("main dl .mobile"); got != masked {
			t.Errorf("the contact's number shows %q, want %q", got, masked)
		}
		if got := b.text(`section[aria-labelledby="ct-history"] tbody tr:last-child`); !strings.Contains(got, masked) {
			t.Errorf("the last line of the history is %q, want it to show %s", got, masked)
		}
		b.assertMasked(mobile, masked)
		// The taxpayer's page lists the contact with the new number, masked.
		b.navigate(chromedp.Click(chromedp.CSS(fmt.Sprintf(`main a[href="/taxpayers/%d"]`, tp.ID))))
		b.waitText("main h1", tp.Name)
		if got := b.text(fmt.Sprintf(`section[aria-labelledby="tp-contacts"] tr:has(a[href="%s"]) .mobile`, contact)); got != masked {
			t.Errorf("the taxpayer's page shows the contact's number as %q, want %q", got, masked)
		}
		b.assertMasked(mobile, masked)
	})

	t.Run("MaskedNumber", func(t *testing.T) {
		t.Parallel()
		const mobile, masked = "13812341234", "138****1234"
		target := c.node.newUser(t, "browser.mask", taxsms.RoleOperator)
		u, err := c.node.db.FindUserByLogin(context.Background(), target.Login)
		if err != nil {
			t.Fatal(err)
		}
		admin := c.node.account(t, taxsms.RoleCityAdmin)
		b := c.tab(t)
		b.signIn(admin.Login, admin.Password)
		page := fmt.Sprintf("/users/%d", u.ID)
		b.open(page)
		b.submit(fmt.Sprintf(`form[action="%s"]`, page), map[string]string{"#f-mobile": mobile})
		b.waitText("main [role=status]", strings.Replace(c.t("zh", "users.saved"), "%s", u.Login, 1))
		b.assertMasked(mobile, masked)
		// The user's history: the audit record of the change.
		b.navigate(chromedp.Click(chromedp.CSS(`a[href^="/audit?object=user"]`)))
		b.waitText("main h1", c.t("zh", "audit.title"))
		b.assertMasked(mobile, "")
		b.navigate(chromedp.Click(chromedp.CSS("main tbody tr:first-child th a")))
		if got := b.text("main .columns"); !strings.Contains(got, masked) {
			t.Errorf("the newest audit record of the user does not show %s:\n%s", masked, got)
		}
		b.assertMasked(mobile, masked)
	})

	t.Run("Campaigns", func(t *testing.T) { t.Parallel(); c.campaigns(t) }) // browser_campaign_test.go

	t.Run("Screenshot", func(t *testing.T) {
		t.Parallel()
		u := c.node.account(t, taxsms.RoleCityAdmin)
		b := c.tab(t)
		b.open("/login")
		b.signIn(u.Login, u.Password)
		b.waitText("main h1", c.t("zh", "dash.title"))
		b.wait(chromedp.WaitVisible(chromedp.CSS("main svg")))
		png, err := chromedp.Run(b.step(), chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 10_000 {
			t.Fatalf("screenshot: %d bytes, not a PNG of a page", len(png))
		}
		dir := os.Getenv("TAXSMS_SCREENSHOTS")
		if dir == "" {
			if dir, err = os.MkdirTemp("", "taxsms-console-"); err != nil {
				t.Fatal(err)
			}
		}
		path := filepath.Join(dir, "dashboard.png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("the dashboard of %s (%s): %s", u.Login, u.Role, path)
	})
}

// console is what the subtests share: the node, the browser and the texts.
type console struct {
	node    *demoNode
	browser context.Context
	cat     map[string]map[string]string
}

// t returns the catalogue's text of key in lang. A missing key is a mistake
// of the test itself: it panics.
func (c *console) t(lang, key string) string {
	s, ok := c.cat[key][lang]
	if !ok {
		panic(fmt.Sprintf("no text %q in %s", key, lang))
	}
	return s
}

// chromiumPath returns the Chromium to drive: $TAXSMS_CHROMIUM or the first
// of the usual names on PATH. Without one the test skips, or fails under
// TAXSMS_CI.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TAXSMS_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("TAXSMS_CI") != "" {
		t.Fatal("TAXSMS_CI is set but no chromium is installed (apt-get install chromium): the browser tests cannot be skipped")
	}
	t.Skip("browser tests skipped: no chromium on PATH (apt-get install chromium, or set TAXSMS_CHROMIUM)")
	return ""
}

// loadTexts reads the console's translation catalogue, the texts the pages
// must show.
func loadTexts(t *testing.T) map[string]map[string]string {
	t.Helper()
	files, err := filepath.Glob("../../web/i18n/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("catalogue: %v (%d files)", err, len(files))
	}
	all := make(map[string]map[string]string)
	for _, f := range files {
		var m map[string]map[string]string
		if _, err := toml.DecodeFile(f, &m); err != nil {
			t.Fatalf("catalogue %s: %v", f, err)
		}
		for k, v := range m {
			all[k] = v
		}
	}
	return all
}

// startBrowser starts one headless Chromium for the test and returns its
// chromedp context; it stops when the test ends.
func startBrowser(t *testing.T, exe string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.WindowSize(1280, 900),
		chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh")) // a browser of the bureau's staff
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser: no timeout on this context
		t.Fatalf("start %s: %v", exe, err)
	}
	return ctx
}

// tab is one browser tab with its own cookies, for one subtest.
type tab struct {
	t    *testing.T
	c    *console
	ctx  context.Context
	base string // the console's URL
}

// tab opens a new tab in a new browser context, on the demo node's
// console; it closes when t ends.
func (c *console) tab(t *testing.T) *tab {
	t.Helper()
	return c.tabAt(t, c.node.base)
}

// tabAt is tab on the console at base.
func (c *console) tabAt(t *testing.T, base string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(c.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		t.Fatalf("new tab: %v", err)
	}
	// Tabs side by side are each in the background: let each behave as
	// the focused page (autofocus, focus and key events).
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatalf("focus emulation: %v", err)
	}
	return &tab{t: t, c: c, ctx: ctx, base: base}
}

// in returns the tab for use in the subtest t.
func (b *tab) in(t *testing.T) *tab {
	c := *b
	c.t = t
	return &c
}

// step returns a context for one step of the tab, ended after browserWait.
func (b *tab) step() context.Context {
	ctx, cancel := context.WithTimeout(b.ctx, browserWait)
	b.t.Cleanup(cancel)
	return ctx
}

// fail ends the test with err, the page it was on and what the page says.
func (b *tab) fail(what string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	b.t.Fatalf("%s: %v\n  at %s\n%s", what, err, loc, text)
}

// wait runs actions that wait or act on the current page.
func (b *tab) wait(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.step(), steps...); err != nil {
		b.fail("browser", err)
	}
}

// navigate runs actions that load a page, waits for it and returns its
// response.
func (b *tab) navigate(steps ...chromedp.Action[chromedp.Void]) *network.Response {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.step(), steps...)
	if err != nil {
		b.fail("navigate", err)
	}
	return resp
}

// open loads path of the console and returns the response.
func (b *tab) open(path string) *network.Response {
	b.t.Helper()
	resp, err := chromedp.Run(b.step(), chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.fail("open "+path, err)
	}
	return resp
}

// submit fills the fields of the form (CSS selector → value), submits it
// with its button, waits for the answer and returns its status.
func (b *tab) submit(form string, fields map[string]string) int64 {
	b.t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	for sel, v := range fields {
		// Empty the field (its value, not its attribute), focus it and
		// type. chromedp's SendKeys reads the node's attributes while DOM
		// events may change them: a data race under -race.
		field := chromedp.CSS(form + " " + sel)
		steps = append(steps, chromedp.WaitVisible(field),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = ""`, string(field))),
			chromedp.Focus(field), chromedp.KeyEvent(v))
	}
	b.wait(steps...)
	resp := b.navigate(chromedp.Click(chromedp.CSS(form + ` button[type="submit"]`)))
	return resp.Status
}

// signIn signs in with the form of the page and waits for the dashboard.
func (b *tab) signIn(login, password string) {
	b.t.Helper()
	if b.path() != "/login" {
		b.open("/login")
	}
	b.submit(`form[action="/login"]`, map[string]string{"#f-login": login, "#f-password": password})
	if got := b.path(); got != "/" {
		b.fail("sign in as "+login, fmt.Errorf("at %q, want /", got))
	}
}

// signOut signs out with the account menu and waits for the sign-in page.
func (b *tab) signOut() {
	b.t.Helper()
	b.wait(chromedp.Click(chromedp.CSS("details.account summary")))
	b.navigate(chromedp.Click(chromedp.CSS(`details.account form[action="/logout"] button`)))
	if got := b.path(); got != "/login" {
		b.fail("sign out", fmt.Errorf("at %q, want /login", got))
	}
}

// assertMasked checks that the page shows masked (if not "") and that
// mobile appears nowhere in it, not even in its markup.
func (b *tab) assertMasked(mobile, masked string) {
	b.t.Helper()
	if masked != "" {
		if got := b.text("main"); !strings.Contains(got, masked) {
			b.t.Errorf("%s does not show %s:\n%s", b.path(), masked, got)
		}
	}
	if html := b.eval(`document.documentElement.outerHTML`); strings.Contains(html, mobile) {
		b.t.Errorf("%s holds the full number %s", b.path(), mobile)
	}
}

// path returns the path of the page shown.
func (b *tab) path() string {
	b.t.Helper()
	return b.eval(`location.pathname`)
}

// eval returns the string value of a JavaScript expression in the page.
func (b *tab) eval(expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.step(), chromedp.Evaluate[string](expr))
	if err != nil {
		b.fail("eval "+expr, err)
	}
	return v
}

// text returns the visible text of the first element sel matches, once
// there is one.
func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.step(), chromedp.Text(chromedp.CSS(sel), chromedp.NodeReady))
	if err != nil {
		b.fail("text of "+sel, err)
	}
	return strings.TrimSpace(s)
}

// waitText waits until the first element sel matches shows want.
func (b *tab) waitText(sel, want string) {
	b.t.Helper()
	ctx := b.step()
	for {
		got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeReady))
		if err == nil && strings.TrimSpace(got) == want {
			return
		}
		select {
		case <-ctx.Done():
			b.fail(fmt.Sprintf("wait for %s to show %q", sel, want), fmt.Errorf("it shows %q (%v)", got, err))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitEval waits until the JavaScript expression expr gives want.
func (b *tab) waitEval(expr, want string) {
	b.t.Helper()
	ctx := b.step()
	for {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err == nil && got == want {
			return
		}
		select {
		case <-ctx.Done():
			b.fail(fmt.Sprintf("wait for %s to be %q", expr, want), fmt.Errorf("it is %q (%v)", got, err))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// value returns the value of the input sel.
func (b *tab) value(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.step(), chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.fail("value of "+sel, err)
	}
	return v
}

// attr returns the attribute name of the first element sel matches.
func (b *tab) attr(sel, name string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.step(), chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		b.fail("attribute "+name+" of "+sel, err)
	}
	return v.Value
}

// count returns how many elements sel matches now.
func (b *tab) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.step(), chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	if err != nil {
		b.fail("count "+sel, err)
	}
	return n
}

// totpCode returns the code of secret for the time step ahead steps from
// now (0 or 1: the console accepts one step either side).
func totpCode(t *testing.T, secret string, ahead int) string {
	t.Helper()
	at := time.Now().Add(time.Duration(ahead*auth.TOTPPeriod) * time.Second)
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: auth.TOTPPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// demoNode is "taxsms demo" serving a small city, with the accounts it
// printed.
type demoNode struct {
	base     string
	db       *store.DB
	accounts map[taxsms.Role]demoAccount

	mu    sync.Mutex
	users map[string]bool // logins made by newUser
}

// syncBuffer is an io.Writer a node writes to from its goroutines; if ready
// is set, it is closed once the demo has printed its accounts.
type syncBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	done  bool
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	if b.ready != nil && !b.done && bytes.Contains(b.buf.Bytes(), []byte("Press Ctrl-C to stop.")) {
		b.done = true
		close(b.ready)
	}
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var (
	servingRE = regexp.MustCompile(`taxsms demo is serving (http://\S+)`)
	accountRE = regexp.MustCompile(`(?m)^  (\S+)\s+login (\S+)\s+password (\S+)$`)
)

// startDemoNode runs "taxsms demo" on a new directory with a city of 200
// taxpayers until the test ends, and reads the URL and the accounts it
// prints.
func startDemoNode(t *testing.T) *demoNode {
	t.Helper()
	out := &syncBuffer{ready: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Demo{Stdout: out, Stderr: out}
	errc := make(chan error, 1)
	go func() { // ends when the test cancels ctx
		errc <- d.Run(ctx, []string{"--data", t.TempDir(), "--addr", "127.0.0.1:0", "--taxpayers", "200"}, nil)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("demo: %v", err)
		}
	})
	select {
	case <-out.ready:
	case err := <-errc:
		errc <- err
		t.Fatalf("demo stopped: %v\n%s", err, out)
	case <-time.After(2 * time.Minute):
		t.Fatalf("demo not serving after 2 minutes:\n%s", out)
	}
	text := out.String()
	m := servingRE.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("demo printed no URL:\n%s", text)
	}
	n := &demoNode{base: m[1], db: d.Main.DB, accounts: make(map[taxsms.Role]demoAccount), users: make(map[string]bool)}
	for _, a := range accountRE.FindAllStringSubmatch(text, -1) {
		n.accounts[taxsms.Role(a[1])] = demoAccount{Role: taxsms.Role(a[1]), Login: a[2], Password: a[3]}
	}
	if len(n.accounts) != len(taxsms.Roles) {
		t.Fatalf("demo printed %d accounts, want one per role (%d):\n%s", len(n.accounts), len(taxsms.Roles), text)
	}
	return n
}

// startTOTPNode runs a node (the real Main, a SQLite file, no carrier
// link) whose configuration requires a second factor of city
// administrators, with one office and one city administrator; it returns
// the console's URL and the administrator's account.
func startTOTPNode(t *testing.T) (string, demoAccount) {
	t.Helper()
	dir := t.TempDir()
	env := []string{"TAXSMS_DATABASE=sqlite:" + filepath.Join(dir, "taxsms.db"), "TAXSMS_SECRET_KEYS=1:" + pii.NewKey(),
		"TAXSMS_SECRET_LOOKUP_KEY=" + pii.NewKey(), "TAXSMS_CONSOLE_TOTP_ROLES=city_admin", "TAXSMS_LOG_LEVEL=warn"}
	var out syncBuffer
	m := NewMain(env, &out, &out)
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v\n%s", err, out.String())
		}
	})
	if err := m.ParseFlags(m.FlagSet("serve", ""), []string{"-http.addr", "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := m.Open(ctx); err != nil {
		t.Fatalf("open: %v\n%s", err, out.String())
	}
	city := &taxsms.Office{Code: "13702000000", Name: "青岛市税务局"}
	if err := m.DB.CreateOffice(ctx, city); err != nil {
		t.Fatal(err)
	}
	u := &taxsms.User{Login: "totp.admin", Name: "双因素管理员", OfficeID: city.ID, Role: taxsms.RoleCityAdmin}
	if err := m.DB.CreateUserAudited(ctx, u, audit.System, "browser test"); err != nil {
		t.Fatal(err)
	}
	pw := newPassword()
	hash, err := auth.NewHasher(auth.Params{}, 0).Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.DB.SetPasswordHash(ctx, u.ID, hash, audit.System, "browser test"); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(ctx); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	return m.Web.URL(), demoAccount{Role: u.Role, Login: u.Login, Password: pw}
}

// account returns the account the demo printed for role.
func (n *demoNode) account(t *testing.T, role taxsms.Role) demoAccount {
	t.Helper()
	a, ok := n.accounts[role]
	if !ok {
		t.Fatalf("the demo printed no %s account", role)
	}
	return a
}

// operators returns an operator of the office of the user login and one
// of another office under the same parent.
func (n *demoNode) operators(t *testing.T, login string) (own, other *taxsms.User) {
	t.Helper()
	ctx := context.Background()
	u, err := n.db.FindUserByLogin(ctx, login)
	if err != nil {
		t.Fatal(err)
	}
	offices, err := n.db.ListOffices(ctx, taxsms.OfficeFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	parent := map[int64]int64{}
	for _, o := range offices {
		parent[o.ID] = o.ParentID
	}
	users, err := n.db.ListUsers(ctx, taxsms.UserFilter{Role: taxsms.RoleOperator, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range users {
		switch {
		case op.OfficeID == u.OfficeID && own == nil:
			own = op
		case op.OfficeID != u.OfficeID && parent[op.OfficeID] == parent[u.OfficeID] && other == nil:
			other = op
		}
	}
	if own == nil || other == nil {
		t.Fatalf("no operator in the office of %s, or none in an office beside it", login)
	}
	return own, other
}

// taxpayers returns the first n taxpayers the user login may see.
func (n *demoNode) taxpayers(t *testing.T, login string, count int) []*taxsms.Taxpayer {
	t.Helper()
	ctx := context.Background()
	u, err := n.db.FindUserByLogin(ctx, login)
	if err != nil {
		t.Fatal(err)
	}
	a, err := n.db.UserActor(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	tps, err := n.db.ListTaxpayers(auth.NewContext(ctx, a), taxsms.TaxpayerFilter{Limit: count})
	if err != nil || len(tps) < count {
		t.Fatalf("%s sees %d taxpayers (%v), want %d", login, len(tps), err, count)
	}
	return tps
}

// taxpayerOutside returns a taxpayer neither of office nor of an office
// above or below it.
func (n *demoNode) taxpayerOutside(t *testing.T, office int64) *taxsms.Taxpayer {
	t.Helper()
	ctx := context.Background()
	inside := map[int64]bool{}
	below, err := n.db.ListOffices(ctx, taxsms.OfficeFilter{Subtree: office, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range below {
		inside[o.ID] = true
	}
	all, err := n.db.ListOffices(ctx, taxsms.OfficeFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for id := office; id != 0; { // and the offices above
		inside[id] = true
		next := int64(0)
		for _, o := range all {
			if o.ID == id {
				next = o.ParentID
			}
		}
		id = next
	}
	tps, err := n.db.ListTaxpayers(ctx, taxsms.TaxpayerFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range tps {
		if !inside[tp.OfficeID] {
			return tp
		}
	}
	t.Fatalf("every taxpayer is of office %d or an office above or below it", office)
	return nil
}

// newUser adds a user of role in the city's root office, with a fresh
// password, for a subtest that changes what the user keeps (language,
// second factor).
func (n *demoNode) newUser(t *testing.T, login string, role taxsms.Role) demoAccount {
	t.Helper()
	n.mu.Lock()
	if n.users[login] {
		n.mu.Unlock()
		t.Fatalf("user %s made twice", login)
	}
	n.users[login] = true
	n.mu.Unlock()
	ctx := context.Background()
	roots, err := n.db.ListOffices(ctx, taxsms.OfficeFilter{Limit: 1})
	if err != nil || len(roots) == 0 {
		t.Fatalf("root office: %v", err)
	}
	u := &taxsms.User{Login: login, Name: "浏览器测试" + string(role), OfficeID: roots[0].ID, Role: role}
	if err := n.db.CreateUserAudited(ctx, u, audit.System, "browser test"); err != nil {
		t.Fatal(err)
	}
	pw := newPassword()
	hash, err := auth.NewHasher(auth.Params{}, 0).Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.db.SetPasswordHash(ctx, u.ID, hash, audit.System, "browser test"); err != nil {
		t.Fatal(err)
	}
	return demoAccount{Role: role, Login: login, Password: pw}
}

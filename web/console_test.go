package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/auth/authtest"
	"taxsms/store"
	"taxsms/store/storetest"
)

// clock is a settable time for the console and the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testConsole is a server with the console on a fresh SQLite database: a
// city office, a branch, and one user of each role, each with the password
// "correct horse 1".
type testConsole struct {
	t     testing.TB
	srv   *Server
	c     *Console
	db    *store.DB
	clock *clock
	users map[taxsms.Role]*taxsms.User
}

const testPassword = "correct horse 1"

func startConsole(t testing.TB, configure ...func(*Console)) *testConsole {
	t.Helper()
	db := storetest.Open(t, "sqlite")
	clk := &clock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	db.Now = clk.Now
	ctx := context.Background()
	city := &taxsms.Office{Code: "13702000000", Name: "青岛市税务局"}
	must(t, db.CreateOffice(ctx, city))
	branch := &taxsms.Office{ParentID: city.ID, Code: "13702020000", Name: "市南区税务局"}
	must(t, db.CreateOffice(ctx, branch))
	h := authtest.Hasher()
	hash, err := h.Hash(ctx, testPassword)
	must(t, err)
	tc := &testConsole{t: t, db: db, clock: clk, users: make(map[taxsms.Role]*taxsms.User)}
	for _, role := range taxsms.Roles {
		office := branch.ID
		if role == taxsms.RoleCityAdmin || role == taxsms.RoleAuditor || role == taxsms.RoleMaintainer {
			office = city.ID
		}
		u := &taxsms.User{Login: "demo." + string(role), Name: "用户" + string(role), OfficeID: office, Role: role, Mobile: "13912345678"}
		must(t, db.CreateUser(ctx, u))
		must(t, db.SetPasswordHash(ctx, u.ID, hash, audit.System, "test"))
		tc.users[role] = u
	}
	c := &Console{DB: db, Key: []byte(strings.Repeat("k", 32)), Hasher: h, Now: clk.Now}
	for _, f := range configure {
		f(c)
	}
	s := &Server{Addr: "127.0.0.1:0", Store: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Console: c, Version: "test"}
	must(t, s.Open())
	t.Cleanup(func() {
		s.Close(context.Background())
		if m := c.cat.Missing(); len(m) > 0 {
			t.Errorf("pages asked for keys not in the catalogue: %v", m)
		}
	})
	tc.srv, tc.c = s, c
	return tc
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
}

func (tc *testConsole) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: tc.t, base: tc.srv.URL(), c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is what a request answered: its status, where it redirects, its
// body.
type response struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(body), Header: resp.Header}
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf returns the CSRF token of the form on the page at path.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	r := b.get(path)
	m := csrfRE.FindStringSubmatch(r.Body)
	if m == nil {
		b.t.Fatalf("GET %s: no CSRF field in %d %q", path, r.Status, r.Body)
	}
	return m[1]
}

// signIn loads the sign-in page, posts its form and returns the answer.
func (b *browser) signIn(login, password string) response {
	b.t.Helper()
	return b.post("/login", url.Values{"csrf_token": {b.csrf("/login")}, "login": {login}, "password": {password}})
}

// mustSignIn signs in with the test password and fails unless it leads to
// the dashboard.
func (b *browser) mustSignIn(login string) {
	b.t.Helper()
	if r := b.signIn(login, testPassword); r.Status != http.StatusSeeOther || r.Location != "/" {
		b.t.Fatalf("sign in %s = %d → %q, want 303 → /\n%s", login, r.Status, r.Location, r.Body)
	}
}

// errorText returns the form's error on a page.
func errorText(body string) string {
	m := regexp.MustCompile(`(?s)<div class="form-error" role="alert" id="form-error">(.*?)</div>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestConsole_SignIn(t *testing.T) {
	tc := startConsole(t)
	op := tc.users[taxsms.RoleOperator]

	t.Run("OK", func(t *testing.T) {
		b := tc.browser()
		if r := b.get("/"); r.Status != http.StatusSeeOther || r.Location != "/login?next=%2F" {
			t.Fatalf("GET / signed out = %d → %q, want 303 → /login?next=%%2F", r.Status, r.Location)
		}
		r := b.get("/login")
		if r.Status != 200 || !strings.Contains(r.Body, `autocomplete="current-password"`) || !strings.Contains(r.Body, `<label for="f-login">`) {
			t.Fatalf("GET /login = %d %q", r.Status, r.Body)
		}
		r = b.signIn(op.Login, testPassword)
		if r.Status != http.StatusSeeOther || r.Location != "/" {
			t.Fatalf("POST /login = %d → %q, want 303 → /", r.Status, r.Location)
		}
		k := cookieOf(r, tc.c.Sessions.CookieName())
		if k == nil || !k.HttpOnly || k.SameSite != http.SameSiteStrictMode || k.Path != "/" {
			t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Strict, Path=/", k)
		}
		r = b.get("/")
		if r.Status != 200 || !strings.Contains(r.Body, op.Name) {
			t.Errorf("GET / signed in = %d, want 200 naming the user", r.Status)
		}
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", got)
		}
	})
	t.Run("Next", func(t *testing.T) {
		b := tc.browser()
		r := b.post("/login", url.Values{"csrf_token": {b.csrf("/login")}, "login": {op.Login}, "password": {testPassword}, "next": {"/account/password"}})
		if r.Location != "/account/password" {
			t.Errorf("sign in with next = %q, want /account/password", r.Location)
		}
		b = tc.browser()
		r = b.post("/login", url.Values{"csrf_token": {b.csrf("/login")}, "login": {op.Login}, "password": {testPassword}, "next": {"//evil.example/"}})
		if r.Location != "/" {
			t.Errorf("sign in with next //evil.example/ = %q, want /", r.Location)
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		b := tc.browser()
		wrong := b.signIn(op.Login, "wrong password")
		unknown := b.signIn("nobody", "wrong password")
		for _, r := range []response{wrong, unknown} {
			if r.Status != http.StatusUnauthorized || cookieOf(r, tc.c.Sessions.CookieName()) != nil {
				t.Errorf("bad sign-in = %d, want 401 without a session", r.Status)
			}
		}
		if errorText(wrong.Body) == "" || errorText(wrong.Body) != errorText(unknown.Body) {
			t.Errorf("wrong password says %q, unknown login %q: want the same message", errorText(wrong.Body), errorText(unknown.Body))
		}
		if !strings.Contains(wrong.Body, `value="`+op.Login+`"`) {
			t.Errorf("the login typed is not shown again")
		}
	})
	t.Run("ErrRequired", func(t *testing.T) {
		r := tc.browser().signIn("", "")
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `id="f-login-error"`) || !strings.Contains(r.Body, `aria-invalid="true"`) {
			t.Errorf("empty sign-in = %d, want 400 with errors beside the fields\n%s", r.Status, r.Body)
		}
	})
}

func cookieOf(r response, name string) *http.Cookie {
	for _, k := range (&http.Response{Header: r.Header}).Cookies() {
		if k.Name == name {
			return k
		}
	}
	return nil
}

func TestConsole_Lockout(t *testing.T) {
	tc := startConsole(t)
	op := tc.users[taxsms.RoleOperator]
	b := tc.browser()
	for i := 0; i < 5; i++ {
		if r := b.signIn(op.Login, "wrong password"); r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d, want 401", i+1, r.Status)
		}
	}
	r := b.signIn(op.Login, testPassword)
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("right password while locked = %d, want 401", r.Status)
	}
	if msg := errorText(r.Body); msg != errorText(b.signIn("nobody", "x").Body) {
		t.Errorf("locked says %q, unlike an unknown login", msg)
	}
	tc.clock.Add(61 * time.Second)
	b.mustSignIn(op.Login)
	if rec, err := tc.db.LoginRecord(context.Background(), op.Login); err != nil || rec.State.Failures != 0 {
		t.Errorf("after sign-in: state %+v, %v; want no failures", rec.State, err)
	}
}

// code returns the TOTP code of secret at t.
func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	must(t, err)
	return c
}

func TestConsole_TOTP(t *testing.T) {
	tc := startConsole(t)
	op := tc.users[taxsms.RoleOperator]
	key, err := auth.EnrolTOTP("test", op.Login, nil)
	must(t, err)
	must(t, tc.db.SetTOTP(context.Background(), op.ID, key.Secret, 0))

	b := tc.browser()
	r := b.signIn(op.Login, testPassword)
	if r.Status != http.StatusSeeOther || r.Location != "/login/totp" || cookieOf(r, tc.c.Sessions.CookieName()) != nil {
		t.Fatalf("password of a user with TOTP = %d → %q, want 303 → /login/totp without a session", r.Status, r.Location)
	}
	token := b.csrf("/login/totp")
	t.Run("ErrCSRF", func(t *testing.T) {
		if r := b.post("/login/totp", url.Values{"code": {code(t, key.Secret, tc.clock.Now())}}); r.Status != http.StatusForbidden {
			t.Errorf("code without token = %d, want 403", r.Status)
		}
	})
	t.Run("ErrWrong", func(t *testing.T) {
		r := b.post("/login/totp", url.Values{"csrf_token": {token}, "code": {"000000"}})
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, `id="f-code-error"`) {
			t.Errorf("wrong code = %d, want 401 with the error beside the field", r.Status)
		}
		rec, _ := tc.db.LoginRecord(context.Background(), op.Login)
		if rec.State.Failures != 1 {
			t.Errorf("failures after a wrong code = %d, want 1", rec.State.Failures)
		}
	})
	c := code(t, key.Secret, tc.clock.Now())
	r = b.post("/login/totp", url.Values{"csrf_token": {token}, "code": {c}})
	if r.Status != http.StatusSeeOther || r.Location != "/" {
		t.Fatalf("right code = %d → %q, want 303 → /\n%s", r.Status, r.Location, r.Body)
	}
	if r := b.get("/"); r.Status != 200 {
		t.Fatalf("GET / after TOTP = %d", r.Status)
	}
	t.Run("ErrReplay", func(t *testing.T) {
		b2 := tc.browser()
		b2.signIn(op.Login, testPassword)
		r := b2.post("/login/totp", url.Values{"csrf_token": {b2.csrf("/login/totp")}, "code": {c}})
		if r.Status != http.StatusUnauthorized {
			t.Errorf("the same code again = %d, want 401", r.Status)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		b3 := tc.browser()
		b3.signIn(op.Login, testPassword)
		tc.clock.Add(pendingTTL + time.Second)
		r := b3.get("/login/totp")
		if r.Status != http.StatusSeeOther || r.Location != "/login" {
			t.Errorf("TOTP step after %v = %d → %q, want back to /login", pendingTTL, r.Status, r.Location)
		}
		if r := b3.get("/login"); !strings.Contains(r.Body, `<div class="flash flash-error" role="alert">`+tc.c.cat.T(LangZH, "signin.again")) {
			t.Errorf("no error flash on the sign-in page after an expired step")
		}
	})
}

var secretRE = regexp.MustCompile(`<code class="secret">([A-Z2-7 ]+)</code>`)

func TestConsole_TOTPEnrol(t *testing.T) {
	tc := startConsole(t, func(c *Console) { c.TOTP = auth.AdminTOTP() })
	admin := tc.users[taxsms.RoleCityAdmin]
	b := tc.browser()
	r := b.signIn(admin.Login, testPassword)
	if r.Location != "/login/enrol" {
		t.Fatalf("password of an administrator without TOTP = %d → %q, want /login/enrol", r.Status, r.Location)
	}
	page := b.get("/login/enrol")
	m := secretRE.FindStringSubmatch(page.Body)
	if m == nil || !strings.Contains(page.Body, "otpauth://totp/") || !strings.Contains(page.Body, `<svg class="qr"`) {
		t.Fatalf("enrolment page shows no secret, URI or QR code:\n%s", page.Body)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	token := csrfRE.FindStringSubmatch(page.Body)[1]
	if r := b.post("/login/enrol", url.Values{"csrf_token": {token}, "code": {"123"}}); r.Status != http.StatusBadRequest {
		t.Errorf("bad code = %d, want 400", r.Status)
	}
	r = b.post("/login/enrol", url.Values{"csrf_token": {token}, "code": {code(t, secret, tc.clock.Now())}})
	if r.Status != http.StatusSeeOther || r.Location != "/" {
		t.Fatalf("enrolment = %d → %q, want 303 → /\n%s", r.Status, r.Location, r.Body)
	}
	rec, err := tc.db.LoginRecord(context.Background(), admin.Login)
	if err != nil || rec.TOTPSecret != secret {
		t.Errorf("stored secret = %q, %v; want %q", rec.TOTPSecret, err, secret)
	}
	// The operator's role needs none.
	tc.browser().mustSignIn(tc.users[taxsms.RoleOperator].Login)
}

func TestConsole_AccountTOTP(t *testing.T) {
	tc := startConsole(t)
	op := tc.users[taxsms.RoleOperator]
	b := tc.browser()
	b.mustSignIn(op.Login)
	page := b.get("/account/totp")
	m := secretRE.FindStringSubmatch(page.Body)
	sealed := regexp.MustCompile(`name="enrol" value="([^"]+)"`).FindStringSubmatch(page.Body)
	if m == nil || sealed == nil {
		t.Fatalf("GET /account/totp shows no secret:\n%s", page.Body)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	token := csrfRE.FindStringSubmatch(page.Body)[1]
	r := b.post("/account/totp", url.Values{"csrf_token": {token}, "enrol": {sealed[1]}, "code": {code(t, secret, tc.clock.Now())}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST /account/totp = %d\n%s", r.Status, r.Body)
	}
	if rec, _ := tc.db.LoginRecord(context.Background(), op.Login); rec.TOTPSecret != secret {
		t.Errorf("stored secret = %q, want %q", rec.TOTPSecret, secret)
	}
	// Signing in now asks for the code.
	if r := tc.browser().signIn(op.Login, testPassword); r.Location != "/login/totp" {
		t.Errorf("sign-in after enrolment → %q, want /login/totp", r.Location)
	}
}

func TestConsole_CSRF(t *testing.T) {
	tc := startConsole(t)
	b := tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleOperator].Login)
	for _, token := range []string{"", "forged"} {
		r := b.post("/logout", url.Values{"csrf_token": {token}})
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, tc.c.cat.T(LangZH, "error.csrf")) {
			t.Errorf("POST /logout with token %q = %d, want the 403 page", token, r.Status)
		}
	}
	req, _ := http.NewRequest("POST", b.base+"/logout", strings.NewReader(url.Values{"csrf_token": {b.csrf("/")}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := b.do(req); r.Status != http.StatusForbidden {
		t.Errorf("cross-site POST with the token = %d, want 403", r.Status)
	}
	// Before sign-in, the forms carry the token of the browser's
	// pre-session cookie.
	b2 := tc.browser()
	login := url.Values{"login": {tc.users[taxsms.RoleOperator].Login}, "password": {testPassword}}
	if r := b2.post("/login", login); r.Status != http.StatusForbidden {
		t.Errorf("sign-in without a pre-session cookie = %d, want 403", r.Status)
	}
	preToken := b2.csrf("/login")
	for _, token := range []string{"", "forged"} {
		login.Set("csrf_token", token)
		if r := b2.post("/login", login); r.Status != http.StatusForbidden {
			t.Errorf("sign-in with token %q = %d, want 403", token, r.Status)
		}
	}
	login.Set("csrf_token", preToken)
	req, _ = http.NewRequest("POST", b.base+"/login", strings.NewReader(login.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := b2.do(req); r.Status != http.StatusForbidden {
		t.Errorf("cross-site sign-in = %d, want 403", r.Status)
	}
	if r := b2.post("/login", login); r.Status != http.StatusSeeOther {
		t.Errorf("sign-in with the pre-session token = %d, want 303", r.Status)
	}
	if r := b2.post("/lang", url.Values{"lang": {"en"}}); r.Status != http.StatusForbidden {
		t.Errorf("language switch without token = %d, want 403", r.Status)
	}
	if r := b.get("/"); r.Status != 200 {
		t.Errorf("still signed in after refused sign-outs: GET / = %d", r.Status)
	}
}

func TestConsole_SessionExpiry(t *testing.T) {
	t.Run("Idle", func(t *testing.T) {
		tc := startConsole(t, func(c *Console) { c.Sessions = auth.SessionConfig{Idle: 10 * time.Minute, Absolute: time.Hour} })
		b := tc.browser()
		b.mustSignIn(tc.users[taxsms.RoleOperator].Login)
		tc.clock.Add(9 * time.Minute)
		if r := b.get("/"); r.Status != 200 {
			t.Fatalf("after 9 idle minutes = %d, want 200", r.Status)
		}
		tc.clock.Add(10*time.Minute + time.Second)
		r := b.get("/")
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
			t.Errorf("after 10 idle minutes = %d → %q, want the sign-in page", r.Status, r.Location)
		}
	})
	t.Run("Absolute", func(t *testing.T) {
		tc := startConsole(t, func(c *Console) { c.Sessions = auth.SessionConfig{Idle: 10 * time.Minute, Absolute: time.Hour} })
		b := tc.browser()
		b.mustSignIn(tc.users[taxsms.RoleOperator].Login)
		for i := 0; i < 7; i++ {
			tc.clock.Add(8 * time.Minute)
			if r := b.get("/"); r.Status != 200 {
				t.Fatalf("busy session after %d min = %d, want 200", 8*(i+1), r.Status)
			}
		}
		tc.clock.Add(5 * time.Minute) // 61 minutes since sign-in
		if r := b.get("/"); r.Status != http.StatusSeeOther {
			t.Errorf("busy session after an hour = %d, want the sign-in page", r.Status)
		}
	})
}

func TestConsole_SignOut(t *testing.T) {
	tc := startConsole(t)
	b := tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleOperator].Login)
	old := b.c.Jar.Cookies(mustURL(t, b.base))
	r := b.post("/logout", url.Values{"csrf_token": {b.csrf("/")}})
	if r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Fatalf("sign out = %d → %q", r.Status, r.Location)
	}
	page := b.get("/login")
	if !strings.Contains(page.Body, tc.c.cat.T(LangZH, "signout.done")) {
		t.Errorf("no flash message after sign-out")
	}
	// The old cookie no longer works, even if a browser kept it.
	b2 := tc.browser()
	b2.c.Jar.SetCookies(mustURL(t, b.base), old)
	if r := b2.get("/"); r.Status != http.StatusSeeOther {
		t.Errorf("the signed-out session still serves: %d", r.Status)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	must(t, err)
	return u
}

func TestConsole_Language(t *testing.T) {
	tc := startConsole(t)
	op := tc.users[taxsms.RoleOperator]
	b := tc.browser()
	if r := b.get("/login"); !strings.Contains(r.Body, `<html lang="zh-CN">`) || !strings.Contains(r.Body, "登录") {
		t.Fatalf("default language is not Chinese")
	}
	// Before sign-in the browser remembers the choice.
	if r := b.post("/lang", url.Values{"lang": {"en"}, "next": {"/login"}}); r.Status != http.StatusForbidden {
		t.Errorf("POST /lang without token = %d, want 403", r.Status)
	}
	r := b.post("/lang", url.Values{"csrf_token": {b.csrf("/login")}, "lang": {"en"}, "next": {"/login"}})
	if r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Fatalf("POST /lang = %d → %q", r.Status, r.Location)
	}
	if r := b.get("/login"); !strings.Contains(r.Body, `<html lang="en">`) || !strings.Contains(r.Body, "Sign in") {
		t.Errorf("after switching to English the sign-in page is not English")
	}
	// Signed in, the choice is the user's, in the store.
	b.mustSignIn(op.Login)
	token := b.csrf("/")
	if r := b.post("/lang", url.Values{"lang": {"zh"}}); r.Status != http.StatusForbidden {
		t.Errorf("signed-in language switch without token = %d, want 403", r.Status)
	}
	b.post("/lang", url.Values{"csrf_token": {token}, "lang": {"zh"}, "next": {"/"}})
	if rec, _ := tc.db.LoginRecord(context.Background(), op.Login); rec.Lang != "zh" {
		t.Errorf("stored language = %q, want zh", rec.Lang)
	}
	b.post("/lang", url.Values{"csrf_token": {token}, "lang": {"en"}, "next": {"/"}})
	if rec, _ := tc.db.LoginRecord(context.Background(), op.Login); rec.Lang != "en" {
		t.Errorf("stored language = %q, want en", rec.Lang)
	}
	// A new browser, with no cookie, gets the user's language once signed in.
	b2 := tc.browser()
	b2.mustSignIn(op.Login)
	if r := b2.get("/"); !strings.Contains(r.Body, `<html lang="en">`) || !strings.Contains(r.Body, "Dashboard") {
		t.Errorf("the user's stored language is not used on another browser")
	}
	if r := b.post("/lang", url.Values{"csrf_token": {token}, "lang": {"fr"}}); r.Status != http.StatusBadRequest {
		t.Errorf("unknown language = %d, want 400", r.Status)
	}
}

func TestConsole_Password(t *testing.T) {
	tc := startConsole(t)
	op := tc.users[taxsms.RoleOperator]
	b := tc.browser()
	b.mustSignIn(op.Login)
	token := b.csrf("/account/password")
	for _, tt := range []struct {
		name, current, password, confirm, field string
	}{
		{"ErrCurrent", "wrong", "a new passphrase", "a new passphrase", "current"},
		{"ErrPolicy", testPassword, "short", "short", "password"},
		{"ErrLogin", testPassword, op.Login, op.Login, "password"},
		{"ErrConfirm", testPassword, "a new passphrase", "another one", "confirm"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := b.post("/account/password", url.Values{"csrf_token": {token}, "current": {tt.current}, "password": {tt.password}, "confirm": {tt.confirm}})
			if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `id="f-`+tt.field+`-error"`) {
				t.Errorf("= %d, want 400 with an error beside %s", r.Status, tt.field)
			}
		})
	}
	r := b.post("/account/password", url.Values{"csrf_token": {token}, "current": {testPassword}, "password": {"a new passphrase"}, "confirm": {"a new passphrase"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("change = %d\n%s", r.Status, r.Body)
	}
	if r := tc.browser().signIn(op.Login, testPassword); r.Status != http.StatusUnauthorized {
		t.Errorf("old password still signs in: %d", r.Status)
	}
	if r := tc.browser().signIn(op.Login, "a new passphrase"); r.Status != http.StatusSeeOther {
		t.Errorf("new password does not sign in: %d", r.Status)
	}
}

func TestConsole_Suspended(t *testing.T) {
	tc := startConsole(t)
	op := tc.users[taxsms.RoleOperator]
	b := tc.browser()
	b.mustSignIn(op.Login)
	if _, err := tc.db.SuspendUser(context.Background(), op.ID, true, audit.System, "test"); err != nil {
		t.Fatal(err)
	}
	if r := b.get("/"); r.Status != http.StatusSeeOther {
		t.Errorf("suspended user's session = %d, want the sign-in page", r.Status)
	}
	if r := tc.browser().signIn(op.Login, testPassword); r.Status != http.StatusForbidden {
		t.Errorf("suspended user's sign-in = %d, want 403", r.Status)
	}
}

func TestConsole_NotFound(t *testing.T) {
	tc := startConsole(t)
	b := tc.browser()
	r := b.get("/no/such/page")
	if r.Status != http.StatusNotFound || !strings.Contains(r.Body, tc.c.cat.T(LangZH, "error.not_found")) {
		t.Errorf("GET /no/such/page = %d, want the 404 page", r.Status)
	}
	b.mustSignIn(tc.users[taxsms.RoleOperator].Login)
	r = b.get("/no/such/page")
	if r.Status != http.StatusNotFound || !strings.Contains(r.Body, tc.users[taxsms.RoleOperator].Name) {
		t.Errorf("signed in, GET /no/such/page = %d, want the 404 page in the user's layout", r.Status)
	}
	if r := b.get("/healthz"); r.Status != 200 {
		t.Errorf("GET /healthz = %d", r.Status)
	}
	if r := b.get("/static/console.css"); r.Status != 200 || !strings.Contains(r.Header.Get("Content-Type"), "text/css") {
		t.Errorf("GET /static/console.css = %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	if r := b.get("/static/nothing.css"); r.Status != 404 {
		t.Errorf("GET /static/nothing.css = %d, want 404", r.Status)
	}
}

// FuzzConsole_SignIn posts arbitrary sign-in forms: every answer is a
// redirect or a page refusing the form (never a 500), and no input comes
// back unescaped.
func FuzzConsole_SignIn(f *testing.F) {
	tc := startConsole(f)
	f.Add("demo.operator", testPassword, "/")
	f.Add("demo.operator", "wrong", "//evil.example")
	f.Add("<script>alert(1)</script>", "\x00\xff", "javascript:alert(1)")
	f.Add("", "", "")
	f.Add(strings.Repeat("a", 100), strings.Repeat("p", 2000), "/\\evil")
	f.Fuzz(func(t *testing.T, login, password, next string) {
		b := tc.browser()
		b.t = t
		r := b.post("/login", url.Values{"csrf_token": {b.csrf("/login")}, "login": {login}, "password": {password}, "next": {next}})
		switch r.Status {
		case http.StatusSeeOther:
			if loc := r.Location; !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
				t.Errorf("redirect to %q", loc)
			}
		case http.StatusBadRequest, http.StatusUnauthorized:
			if strings.Contains(login, "<") && strings.Contains(r.Body, login) || strings.Contains(login, `"`) && strings.Contains(r.Body, `value="`+login) {
				t.Errorf("login %q shown unescaped", login)
			}
		default:
			t.Errorf("POST /login = %d\n%s", r.Status, r.Body)
		}
	})
}

func TestConsole_Reveal(t *testing.T) {
	tc := startConsole(t)
	op := tc.users[taxsms.RoleOperator]
	admin := tc.browser()
	admin.mustSignIn(tc.users[taxsms.RoleCityAdmin].Login)
	token := admin.csrf("/")
	form := url.Values{"csrf_token": {token}, "kind": {"user"}, "id": {fmt.Sprint(op.ID)}, "next": {"/users"}}
	if r := admin.post("/reveal", form); r.Status != http.StatusBadRequest || strings.Contains(r.Body, "13912345678") || !strings.Contains(r.Body, `id="f-reason-error"`) {
		t.Errorf("reveal without a reason = %d, want 400 asking for one", r.Status)
	}
	form.Set("reason", "纳税人来电核实")
	r := admin.post("/reveal", form)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "13912345678") || !strings.Contains(r.Body, `href="/users"`) {
		t.Errorf("reveal = %d, want 200 with the full number and the way back\n%s", r.Status, r.Body)
	}
	got := 0
	for e, err := range tc.db.ExportAudit(context.Background(), audit.Filter{Action: audit.NumberRevealed}) {
		must(t, err)
		if strings.Contains(e.Detail, "139****5678") && strings.Contains(e.Detail, "纳税人来电核实") && e.IP != "" {
			got++
		}
	}
	if got != 1 {
		t.Errorf("audit records of the reveal = %d, want 1 with the masked number, the reason and the address", got)
	}
	b := tc.browser()
	b.mustSignIn(op.Login)
	form.Set("csrf_token", b.csrf("/"))
	if r := b.post("/reveal", form); r.Status != http.StatusForbidden || strings.Contains(r.Body, "13912345678") {
		t.Errorf("operator's reveal = %d, want 403", r.Status)
	}

	// The partial offers the form only to those who may reveal.
	tmpl, _ := tc.c.tmpl.page(LangEN, "dashboard")
	for _, tt := range []struct {
		perms []auth.Permission
		want  bool
	}{{[]auth.Permission{auth.PermRevealNumbers}, true}, {nil, false}} {
		var buf strings.Builder
		p := &Page{Actor: &auth.Actor{Permissions: tt.perms}, CSRF: "tok", RequestURI: "/taxpayers/1"}
		must(t, tmpl.ExecuteTemplate(&buf, "reveal", p.Reveal("contact", 7)))
		if got := strings.Contains(buf.String(), `action="/reveal"`) && strings.Contains(buf.String(), `value="tok"`); got != tt.want {
			t.Errorf("reveal partial with %v: form shown = %v, want %v: %s", tt.perms, got, tt.want, buf.String())
		}
	}
}

package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/boombuler/barcode/qr"

	"taxsms"
	"taxsms/auth"
)

// The sign-in steps: the password (POST /login), then, for a user with a
// second factor, its code (POST /login/totp), or, for a user whose role must
// have one and who has none yet, its enrolment (POST /login/enrol). Between
// the steps the browser holds the pending state sealed (encrypted and
// authenticated) in a short-lived cookie; the session is created only once
// every step passed.

// pendingCookie holds the sign-in step between the password and the second
// factor.
const pendingCookie = "taxsms_signin"

// pendingTTL is how long the second step may wait after the password.
const pendingTTL = 5 * time.Minute

// pending is the sealed state of a sign-in waiting for its second factor.
type pending struct {
	UserID int64  `json:"u"`
	Login  string `json:"l"`
	Stage  string `json:"s"`           // "totp" or "enrol"
	Secret string `json:"k,omitempty"` // enrol: the secret being enrolled
	Next   string `json:"n,omitempty"` // where to go once signed in
	Exp    int64  `json:"e"`           // Unix seconds
}

func (c *Console) authRoutes(mux *http.ServeMux) {
	c.handlePublic(mux, "GET /login", c.handleSignIn)
	c.handlePublic(mux, "POST /login", c.handleSignIn)
	c.handlePublic(mux, "GET /login/totp", c.handleTOTPStep)
	c.handlePublic(mux, "POST /login/totp", c.handleTOTPStep)
	c.handlePublic(mux, "GET /login/enrol", c.handleEnrolStep)
	c.handlePublic(mux, "POST /login/enrol", c.handleEnrolStep)
	mux.HandleFunc("POST /lang", c.handleLang)
	c.handle(mux, "POST /logout", "", c.handleSignOut)
	c.handle(mux, "GET /account/password", "", c.handlePassword)
	c.handle(mux, "POST /account/password", "", c.handlePassword)
	c.handle(mux, "GET /account/totp", "", c.handleTOTP)
	c.handle(mux, "POST /account/totp", "", c.handleTOTP)
}

// handleSignIn serves GET and POST /login: the login and password form.
// Whatever was wrong (unknown login, wrong password, a locked login) the
// answer is the same, and an unknown login costs a hash all the same.
func (c *Console) handleSignIn(w http.ResponseWriter, r *Request) error {
	f := newForm(r, "login", "password")
	page := &Page{Title: "signin.title", Form: f}
	if r.Method == http.MethodGet {
		if _, err := c.session(w, r.Request); err == nil {
			c.redirect(w, r, "/", "")
			return nil
		}
		c.render(w, r, http.StatusOK, "sign_in", page)
		return nil
	}
	login, password := f.Get("login"), f.Values.Get("password")
	if login == "" {
		f.Fail("login", c.T(r, "form.required"))
	}
	if password == "" {
		f.Fail("password", c.T(r, "form.required"))
	}
	if !f.OK() || len(login) > 64 {
		if len(login) > 64 {
			f.Fail("", c.T(r, "signin.failed"))
		}
		c.render(w, r, http.StatusBadRequest, "sign_in", page)
		return nil
	}
	ctx, now, ip := r.Context(), c.Now(), requestIP(r.Request)
	refuse := func(userID int64, st auth.LoginState, reason string) error {
		if err := c.DB.RecordSignInFailure(ctx, login, userID, st, ip, reason); err != nil {
			return err
		}
		f.Fail("", c.T(r, "signin.failed"))
		c.render(w, r, http.StatusUnauthorized, "sign_in", page)
		return nil
	}
	rec, err := c.DB.LoginRecord(ctx, login)
	switch {
	case taxsms.ErrorCode(err) == taxsms.ENOTFOUND:
		if err := c.Hasher.VerifyDummy(ctx, password); taxsms.ErrorCode(err) != taxsms.EUNAUTHORIZED {
			return err
		}
		return refuse(0, auth.LoginState{}, "unknown login")
	case err != nil:
		return err
	}
	if c.Lockout.Check(rec.State, now) != nil {
		// Knocking on a locked login neither prolongs the lock nor answers
		// faster than a check would.
		if err := c.Hasher.VerifyDummy(ctx, password); taxsms.ErrorCode(err) != taxsms.EUNAUTHORIZED {
			return err
		}
		return refuse(rec.User.ID, rec.State, "locked")
	}
	if rec.PasswordHash == "" {
		err = c.Hasher.VerifyDummy(ctx, password)
	} else {
		err = c.Hasher.Verify(ctx, rec.PasswordHash, password)
	}
	if taxsms.ErrorCode(err) == taxsms.EUNAUTHORIZED {
		return refuse(rec.User.ID, c.Lockout.Failed(rec.State, now), "wrong password")
	} else if err != nil {
		return err
	}
	if rec.User.Status != taxsms.UserActive || rec.OfficeSuspended {
		if err := c.DB.RecordSignInFailure(ctx, login, rec.User.ID, rec.State, ip, "suspended"); err != nil {
			return err
		}
		f.Fail("", c.T(r, "signin.suspended"))
		c.render(w, r, http.StatusForbidden, "sign_in", page)
		return nil
	}
	next := localPath(f.Get("next"))
	switch {
	case rec.TOTPSecret != "":
		return c.startPending(w, r, pending{UserID: rec.User.ID, Login: rec.User.Login, Stage: "totp", Next: next}, "/login/totp")
	case c.TOTP.RequireTOTP(rec.User.Role):
		key, err := auth.EnrolTOTP(c.Issuer, rec.User.Login, nil)
		if err != nil {
			return err
		}
		return c.startPending(w, r, pending{UserID: rec.User.ID, Login: rec.User.Login, Stage: "enrol", Secret: key.Secret, Next: next}, "/login/enrol")
	}
	return c.startSession(w, r, rec.User.ID, rec.Lang, 0, next)
}

// startPending seals p in the pending cookie and goes to the second step.
func (c *Console) startPending(w http.ResponseWriter, r *Request, p pending, to string) error {
	p.Exp = c.Now().Add(pendingTTL).Unix()
	v, err := c.seal("pending", p)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: pendingCookie, Value: v, Path: "/login", MaxAge: int(pendingTTL / time.Second),
		HttpOnly: true, Secure: c.Sessions.Secure, SameSite: http.SameSiteStrictMode})
	c.redirect(w, r, to, "")
	return nil
}

// pendingOf returns the pending sign-in of r at stage, or false if there is
// none (or it expired).
func (c *Console) pendingOf(r *Request, stage string) (pending, bool) {
	var p pending
	k, err := r.Cookie(pendingCookie)
	if err != nil || c.unseal("pending", k.Value, &p) != nil || p.Stage != stage || c.Now().Unix() > p.Exp {
		return p, false
	}
	return p, true
}

func (c *Console) clearPending(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: pendingCookie, Path: "/login", MaxAge: -1, HttpOnly: true, Secure: c.Sessions.Secure, SameSite: http.SameSiteStrictMode})
}

// startSession signs user userID in: the session is stored (with the second
// factor's step when one was used), its cookie set, and the browser sent
// to next.
func (c *Console) startSession(w http.ResponseWriter, r *Request, userID int64, lang string, step int64, next string) error {
	id, s, err := auth.NewSession(userID, requestIP(r.Request), r.UserAgent(), c.Now())
	if err != nil {
		return err
	}
	if err := c.DB.RecordSignIn(r.Context(), s, step); err != nil {
		return err
	}
	c.clearPending(w)
	http.SetCookie(w, c.Sessions.Cookie(id))
	if l := parseLang(lang); l != "" {
		c.setLangCookie(w, l)
	}
	c.redirect(w, r, next, "")
	return nil
}

// handleTOTPStep serves GET and POST /login/totp: the second factor's code
// after the password. A wrong code counts as a failed sign-in.
func (c *Console) handleTOTPStep(w http.ResponseWriter, r *Request) error {
	p, ok := c.pendingOf(r, "totp")
	if !ok {
		c.redirectError(w, r, "/login", "signin.again")
		return nil
	}
	f := newForm(r, "code")
	page := &Page{Title: "totp.step_title", Form: f}
	if r.Method == http.MethodGet {
		c.render(w, r, http.StatusOK, "sign_in_totp", page)
		return nil
	}
	ctx, now := r.Context(), c.Now()
	rec, err := c.DB.LoginRecord(ctx, p.Login)
	if err != nil || rec.User.ID != p.UserID || rec.TOTPSecret == "" {
		if err != nil && taxsms.ErrorCode(err) != taxsms.ENOTFOUND {
			return err
		}
		c.clearPending(w)
		c.redirectError(w, r, "/login", "signin.again")
		return nil
	}
	if c.Lockout.Check(rec.State, now) != nil {
		c.clearPending(w)
		c.redirectError(w, r, "/login", "signin.again")
		return nil
	}
	step, err := auth.VerifyTOTP(rec.TOTPSecret, f.Get("code"), now, rec.TOTPLastStep)
	switch taxsms.ErrorCode(err) {
	case "":
		return c.startSession(w, r, rec.User.ID, rec.Lang, step, p.Next)
	case taxsms.EINVALID:
		f.Fail("code", c.T(r, "totp.format"))
		c.render(w, r, http.StatusBadRequest, "sign_in_totp", page)
		return nil
	case taxsms.EUNAUTHORIZED:
		if err := c.DB.RecordSignInFailure(ctx, p.Login, rec.User.ID, c.Lockout.Failed(rec.State, now), requestIP(r.Request), "wrong second-factor code"); err != nil {
			return err
		}
		f.Fail("code", c.T(r, "totp.wrong"))
		c.render(w, r, http.StatusUnauthorized, "sign_in_totp", page)
		return nil
	}
	return err
}

// totpView is what the enrolment pages show: the secret to type or scan.
type totpView struct {
	Secret string        // base32, in groups of four for typing
	URL    string        // the otpauth:// URI
	QR     template.HTML // the URI as an SVG QR code
	Sealed string        // the secret sealed, for the form (account page)
	Done   bool          // the user has a second factor already
}

func (c *Console) totpView(issuer, login, secret string) totpView {
	key := auth.TOTPKey{Secret: secret, URL: fmt.Sprintf("otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=6&period=30",
		pathEscape(issuer), pathEscape(login), secret, pathEscape(issuer))}
	var groups []string
	for i := 0; i < len(secret); i += 4 {
		groups = append(groups, secret[i:min(i+4, len(secret))])
	}
	return totpView{Secret: strings.Join(groups, " "), URL: key.URL, QR: qrSVG(key.URL)}
}

// pathEscape escapes s for the label and issuer of an otpauth URI.
func pathEscape(s string) string { return url.PathEscape(s) }

// qrSVG draws text as a QR code in SVG, one path of dark modules; "" if it
// cannot be encoded.
func qrSVG(text string) template.HTML {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return ""
	}
	b := code.Bounds()
	n := b.Dx()
	var d strings.Builder
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if r, _, _, _ := code.At(x, y).RGBA(); r == 0 {
				fmt.Fprintf(&d, "M%d %dh1v1h-1z", x+4, y+4)
			}
		}
	}
	// Only numbers and the fixed markup go into the SVG: no text of the
	// request.
	return template.HTML(fmt.Sprintf(`<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-hidden="true" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		n+8, n+8, n+8, n+8, d.String()))
}

// handleEnrolStep serves GET and POST /login/enrol: a user whose role must
// use a second factor and has none enrols one before the session starts.
func (c *Console) handleEnrolStep(w http.ResponseWriter, r *Request) error {
	p, ok := c.pendingOf(r, "enrol")
	if !ok {
		c.redirectError(w, r, "/login", "signin.again")
		return nil
	}
	f := newForm(r, "code")
	page := &Page{Title: "totp.enrol_title", Form: f, Data: c.totpView(c.Issuer, p.Login, p.Secret)}
	if r.Method == http.MethodGet {
		c.render(w, r, http.StatusOK, "sign_in_enrol", page)
		return nil
	}
	step, err := auth.VerifyTOTP(p.Secret, f.Get("code"), c.Now(), 0)
	if err != nil {
		if taxsms.ErrorCode(err) == taxsms.EINTERNAL {
			return err
		}
		f.Fail("code", c.T(r, "totp.wrong"))
		c.render(w, r, http.StatusBadRequest, "sign_in_enrol", page)
		return nil
	}
	a, err := c.DB.UserActor(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	a.IP = requestIP(r.Request)
	if err := c.DB.SetTOTP(auth.NewContext(r.Context(), a), p.UserID, p.Secret, step); err != nil {
		return err
	}
	return c.startSession(w, r, p.UserID, a.Lang, step, p.Next)
}

// enrolTTL is how long the account page's enrolment form stays valid.
const enrolTTL = 15 * time.Minute

// enrolment is the sealed secret of the account page's enrolment form.
type enrolment struct {
	UserID int64  `json:"u"`
	Secret string `json:"k"`
	Exp    int64  `json:"e"`
}

// handleTOTP serves GET and POST /account/totp: a signed-in user enrols a
// second factor of their own accord.
func (c *Console) handleTOTP(w http.ResponseWriter, r *Request) error {
	f := newForm(r, "code")
	page := &Page{Title: "totp.account_title", Form: f}
	rec, err := c.DB.LoginRecord(r.Context(), r.Actor.Login)
	if err != nil {
		return err
	}
	if rec.TOTPSecret != "" {
		page.Data = totpView{Done: true}
		c.render(w, r, http.StatusOK, "account_totp", page)
		return nil
	}
	var e enrolment
	if r.Method == http.MethodPost {
		if c.unseal("enrol", f.Get("enrol"), &e) != nil || e.UserID != r.Actor.UserID || c.Now().Unix() > e.Exp {
			c.redirectError(w, r, "/account/totp", "totp.expired")
			return nil
		}
		step, err := auth.VerifyTOTP(e.Secret, f.Get("code"), c.Now(), 0)
		if err == nil {
			if err := c.DB.SetTOTP(r.Context(), r.Actor.UserID, e.Secret, step); err != nil {
				return err
			}
			c.redirect(w, r, "/", "totp.enrolled")
			return nil
		} else if taxsms.ErrorCode(err) == taxsms.EINTERNAL {
			return err
		}
		f.Fail("code", c.T(r, "totp.wrong"))
	} else {
		key, err := auth.EnrolTOTP(c.Issuer, r.Actor.Login, nil)
		if err != nil {
			return err
		}
		e = enrolment{UserID: r.Actor.UserID, Secret: key.Secret, Exp: c.Now().Add(enrolTTL).Unix()}
	}
	v := c.totpView(c.Issuer, r.Actor.Login, e.Secret)
	if v.Sealed, err = c.seal("enrol", e); err != nil {
		return err
	}
	page.Data = v
	status := http.StatusOK
	if !f.OK() {
		status = http.StatusBadRequest
	}
	c.render(w, r, status, "account_totp", page)
	return nil
}

// handleSignOut serves POST /logout: the session ends here and in the
// store.
func (c *Console) handleSignOut(w http.ResponseWriter, r *Request) error {
	if err := c.DB.EndSession(r.Context(), auth.HashSessionID(r.sessionID)); err != nil {
		return err
	}
	http.SetCookie(w, c.Sessions.ClearCookie())
	c.redirect(w, r, "/login", "signout.done")
	return nil
}

// handlePassword serves GET and POST /account/password: a user changes
// their own password, giving the current one.
func (c *Console) handlePassword(w http.ResponseWriter, r *Request) error {
	f := newForm(r, "current", "password", "confirm")
	page := &Page{Title: "password.title", Form: f}
	if r.Method == http.MethodGet {
		c.render(w, r, http.StatusOK, "account_password", page)
		return nil
	}
	ctx := r.Context()
	current, pw, confirm := f.Values.Get("current"), f.Values.Get("password"), f.Values.Get("confirm")
	rec, err := c.DB.LoginRecord(ctx, r.Actor.Login)
	if err != nil {
		return err
	}
	if err := c.Hasher.Verify(ctx, rec.PasswordHash, current); rec.PasswordHash == "" || taxsms.ErrorCode(err) == taxsms.EUNAUTHORIZED {
		f.Fail("current", c.T(r, "password.wrong"))
	} else if err != nil {
		return err
	}
	if err := auth.CheckPassword(r.Actor.Login, pw); err != nil {
		f.Fail("password", c.T(r, "password.policy", auth.MinPasswordLength))
	} else if pw != confirm {
		f.Fail("confirm", c.T(r, "password.mismatch"))
	}
	if !f.OK() {
		c.render(w, r, http.StatusBadRequest, "account_password", page)
		return nil
	}
	hash, err := c.Hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	if err := c.DB.ChangePassword(ctx, r.Actor.UserID, hash); err != nil {
		return err
	}
	c.redirect(w, r, "/", "password.changed")
	return nil
}

// handleLang serves POST /lang: the language switch of every page. A
// signed-in user's choice is stored with the user; the browser remembers
// it too, for the sign-in page.
func (c *Console) handleLang(w http.ResponseWriter, hr *http.Request) {
	r, err := c.session(w, hr)
	signedIn := err == nil
	if signedIn && c.csrf.Check(hr, r.sessionID) != nil || !signedIn && c.checkPreSession(hr) != nil {
		c.fail(w, r, errCSRF)
		return
	}
	lang := parseLang(hr.PostFormValue("lang"))
	if lang == "" {
		c.fail(w, r, taxsms.Invalid("lang", "want zh or en"))
		return
	}
	if signedIn {
		if err := c.DB.SetLanguage(r.Context(), r.Actor.UserID, lang); err != nil {
			c.fail(w, r, err)
			return
		}
	}
	c.setLangCookie(w, lang)
	http.Redirect(w, hr, localPath(hr.PostFormValue("next")), http.StatusSeeOther)
}

func (c *Console) setLangCookie(w http.ResponseWriter, lang string) {
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: c.Sessions.Secure, SameSite: http.SameSiteLaxMode})
}

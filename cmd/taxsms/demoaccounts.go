package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/store"
)

// demoAccount is a console account the demo prints, so that a newcomer can
// sign in with every role.
type demoAccount struct {
	Role     taxsms.Role
	Login    string
	Password string
}

// demoAccounts picks one user of each role of the city (the first operator
// who has taxpayers in their charge, so that their pages show some), creates
// "demo.ROLE" in the city's root office for a role without one, and gives
// each a fresh random password, recorded in the audit archive as the
// demo's. It runs at every start: the passwords of the previous run stop
// working.
func demoAccounts(ctx context.Context, db *store.DB) ([]demoAccount, error) {
	roots, err := db.ListOffices(ctx, taxsms.OfficeFilter{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("demo accounts: no office")
	}
	hasher := auth.NewHasher(auth.Params{}, 0)
	var out []demoAccount
	for _, role := range taxsms.Roles {
		u, err := demoUser(ctx, db, role)
		if err != nil {
			return nil, err
		}
		if u == nil {
			u = &taxsms.User{Login: "demo." + string(role), Name: "演示" + string(role), OfficeID: roots[0].ID, Role: role}
			if err := db.CreateUserAudited(ctx, u, audit.System, "taxsms demo"); err != nil {
				return nil, err
			}
		}
		pw := newPassword()
		hash, err := hasher.Hash(ctx, pw)
		if err != nil {
			return nil, err
		}
		if err := db.SetPasswordHash(ctx, u.ID, hash, audit.System, "taxsms demo: a fresh password printed at start-up"); err != nil {
			return nil, err
		}
		out = append(out, demoAccount{Role: role, Login: u.Login, Password: pw})
	}
	return out, nil
}

// demoUser returns the user of role the demo signs in as, or nil if the
// city has none: an active one, for an operator one with taxpayers.
func demoUser(ctx context.Context, db *store.DB, role taxsms.Role) (*taxsms.User, error) {
	users, err := db.ListUsers(ctx, taxsms.UserFilter{Role: role, Limit: 200})
	if err != nil {
		return nil, err
	}
	var first *taxsms.User
	for _, u := range users {
		if u.Status != taxsms.UserActive {
			continue
		}
		if role != taxsms.RoleOperator {
			return u, nil
		}
		if first == nil {
			first = u
		}
		a, err := db.UserActor(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		tps, err := db.ListTaxpayers(auth.NewContext(ctx, a), taxsms.TaxpayerFilter{Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(tps) > 0 {
			return u, nil
		}
	}
	return first, nil
}

// checkSignIns signs in to the console at base with every account, as a
// browser would, and loads the dashboard; it returns how many did.
func checkSignIns(ctx context.Context, base string, accounts []demoAccount) (int, error) {
	n := 0
	for _, a := range accounts {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		token, err := formToken(ctx, c, base+"/login")
		if err != nil {
			return n, err
		}
		form := url.Values{"csrf_token": {token}, "login": {a.Login}, "password": {a.Password}}
		req, _ := http.NewRequestWithContext(ctx, "POST", base+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.Do(req) // follows the redirect to the dashboard
		if err != nil {
			return n, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" || !strings.Contains(string(body), `<main id="main"`) {
			return n, fmt.Errorf("console sign-in as %s (%s): %d at %s", a.Login, a.Role, resp.StatusCode, resp.Request.URL.Path)
		}
		n++
	}
	return n, nil
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// formToken loads the page at url and returns the CSRF token of its form.
func formToken(ctx context.Context, c *http.Client, url string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := csrfField.FindSubmatch(body)
	if m == nil {
		return "", fmt.Errorf("GET %s: %d, no form token", url, resp.StatusCode)
	}
	return string(m[1]), nil
}

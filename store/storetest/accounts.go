package storetest

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/auth/authtest"
	"taxsms/store"
)

// ExerciseAccounts runs the accounts part of the suite on the engine:
// signing in, sessions, API keys, permissions, suspension, reveals and
// exports, and the audit records each leaves.
func ExerciseAccounts(t *testing.T, engine string) {
	open := func(t testing.TB) *store.DB { return Open(t, engine) }
	t.Run("SignIn", func(t *testing.T) { testSignIn(t, open(t)) })
	t.Run("SessionExpiry", func(t *testing.T) { testSessionExpiry(t, open(t)) })
	t.Run("APIKey", func(t *testing.T) { testAPIKey(t, open(t)) })
	t.Run("Permissions", func(t *testing.T) { testPermissions(t, open(t)) })
	t.Run("Suspend", func(t *testing.T) { testSuspend(t, open(t)) })
	t.Run("Reveal", func(t *testing.T) { testReveal(t, open(t)) })
	t.Run("AdminAudit", func(t *testing.T) { testAdminAudit(t, open(t)) })
	t.Run("UserRoles", func(t *testing.T) { testUserRoles(t, open(t)) })
}

// signIn stores a session for user uid at now and returns its id hash.
func signIn(t testing.TB, db *store.DB, uid int64, now time.Time) string {
	t.Helper()
	_, s, err := auth.NewSession(uid, "192.0.2.7", "test", now)
	must(t, err)
	must(t, db.RecordSignIn(context.Background(), s, 0))
	return s.IDHash
}

// auditActions returns the actions of the records matching f, oldest first.
func auditActions(t testing.TB, db *store.DB, f audit.Filter) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	for e, err := range db.ExportAudit(context.Background(), f) {
		must(t, err)
		out = append(out, e)
	}
	return out
}

// verified fails the test unless the audit chain verifies.
func verified(t testing.TB, db *store.DB) {
	t.Helper()
	n, broken, err := db.VerifyAudit(context.Background())
	must(t, err)
	if broken != nil {
		t.Fatalf("VerifyAudit: broken at %+v after %d records", broken, n)
	}
}

func testSignIn(t *testing.T, db *store.DB) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	db.Now = clk.Now
	_, _, _, op := city(t, db)
	must(t, db.SetPasswordHash(ctx, op.ID, "hash-1", audit.System, "test"))

	r, err := db.LoginRecord(ctx, op.Login)
	must(t, err)
	if r.User.ID != op.ID || r.PasswordHash != "hash-1" || r.State != (auth.LoginState{}) || r.Lang != "zh" ||
		r.TOTPSecret != "" || r.OfficeSuspended || r.User.Mobile != op.Mobile {
		t.Errorf("LoginRecord = %+v (user %+v)", r, r.User)
	}
	_, err = db.LoginRecord(ctx, "nobody")
	wantCode(t, err, taxsms.ENOTFOUND, "")

	t.Run("Failure", func(t *testing.T) {
		st := auth.LoginState{Failures: 5, LockedUntil: clk.Now().Add(time.Minute)}
		must(t, db.RecordSignInFailure(ctx, op.Login, op.ID, st, "192.0.2.7", "wrong password"))
		r, err := db.LoginRecord(ctx, op.Login)
		must(t, err)
		if !r.State.LockedUntil.Equal(st.LockedUntil) || r.State.Failures != 5 {
			t.Errorf("State = %v, want %v", r.State, st)
		}
		if err := (auth.Lockout{}).Check(r.State, clk.Now()); taxsms.ErrorCode(err) != taxsms.EUNAUTHORIZED {
			t.Errorf("Lockout.Check = %v, want EUNAUTHORIZED", err)
		}
		// An unknown login (one typed as a number too) leaves a record only.
		must(t, db.RecordSignInFailure(ctx, "13912345678", 0, auth.LoginState{Failures: 1}, "[2001:db8::1]:5000", "unknown login"))
		got := auditActions(t, db, audit.Filter{Action: audit.SignInFailed})
		if len(got) != 2 {
			t.Fatalf("%d sign_in_failed records, want 2", len(got))
		}
		if got[0].Actor.UserID != op.ID || got[0].IP != "192.0.2.7" || !strings.Contains(got[0].Detail, "wrong password") {
			t.Errorf("first failure = %+v", got[0])
		}
		if got[1].Actor.UserID != 0 || got[1].Actor.Login != "139****5678" || got[1].IP != "2001:db8::1" {
			t.Errorf("unknown login failure = %+v", got[1])
		}
	})

	t.Run("Success", func(t *testing.T) {
		must(t, db.SetTOTP(ctx, op.ID, "JBSWY3DPEHPK3PXP", 10))
		_, s, err := auth.NewSession(op.ID, "192.0.2.8", "Firefox", clk.Now())
		must(t, err)
		must(t, db.RecordSignIn(ctx, s, 12345))
		r, err := db.LoginRecord(ctx, op.Login)
		must(t, err)
		if r.State != (auth.LoginState{}) || r.TOTPSecret != "JBSWY3DPEHPK3PXP" || r.TOTPLastStep != 12345 {
			t.Errorf("after sign-in: State %v, secret %q, step %d", r.State, r.TOTPSecret, r.TOTPLastStep)
		}
		a, u, err := db.SessionActor(ctx, s.IDHash, auth.SessionConfig{}, clk.Now())
		must(t, err)
		if a.UserID != op.ID || a.Role != taxsms.RoleOperator || a.IP != "192.0.2.8" || a.Lang != "zh" || u.Login != op.Login ||
			!slices.Equal(a.Permissions, auth.DefaultPermissions(taxsms.RoleOperator)) {
			t.Errorf("SessionActor = %+v, %+v", a, u)
		}
		got := auditActions(t, db, audit.Filter{Action: audit.SignIn})
		if len(got) != 1 || got[0].Actor.UserID != op.ID || got[0].IP != "192.0.2.8" {
			t.Errorf("sign_in records = %+v", got)
		}
		must(t, db.SetLanguage(auth.NewContext(ctx, a), op.ID, "en"))
		wantCode(t, db.SetLanguage(ctx, op.ID, "fr"), taxsms.EINVALID, "lang")
		if a, _, err = db.SessionActor(ctx, s.IDHash, auth.SessionConfig{}, clk.Now()); err != nil || a.Lang != "en" {
			t.Errorf("after SetLanguage: %v, %v", a, err)
		}
		must(t, db.SetTOTP(ctx, op.ID, "", 0))
		if r, _ = db.LoginRecord(ctx, op.Login); r.TOTPSecret != "" {
			t.Errorf("TOTPSecret after removal = %q", r.TOTPSecret)
		}

		must(t, db.EndSession(auth.NewContext(ctx, a), s.IDHash))
		_, _, err = db.SessionActor(ctx, s.IDHash, auth.SessionConfig{}, clk.Now())
		wantCode(t, err, taxsms.EUNAUTHORIZED, "")
		must(t, db.EndSession(ctx, s.IDHash)) // gone already: no error
		if got := auditActions(t, db, audit.Filter{Action: audit.SignOut}); len(got) != 1 || got[0].Actor.UserID != op.ID {
			t.Errorf("sign_out records = %+v", got)
		}
	})
	verified(t, db)
}

func testSessionExpiry(t *testing.T, db *store.DB) {
	ctx := context.Background()
	start := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	clk := &clock{t: start}
	db.Now = clk.Now
	_, _, _, op := city(t, db)
	cfg := auth.SessionConfig{Idle: 30 * time.Minute, Absolute: 2 * time.Hour}

	for _, tt := range []struct {
		name  string
		steps []time.Duration // requests after the sign-in, in order
		last  time.Duration   // the request checked
		ok    bool
	}{
		{"Fresh", nil, 29 * time.Minute, true},
		{"Idle", nil, 30 * time.Minute, false},
		{"Touched", []time.Duration{20 * time.Minute}, 49 * time.Minute, true},
		{"TouchedThenIdle", []time.Duration{20 * time.Minute}, 50 * time.Minute, false},
		{"NotTouchedWithinAMinute", []time.Duration{30 * time.Second}, 30*time.Minute + 10*time.Second, false},
		{"Absolute", []time.Duration{25 * time.Minute, 50 * time.Minute, 75 * time.Minute, 100 * time.Minute}, 2 * time.Hour, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id := signIn(t, db, op.ID, start)
			for _, d := range tt.steps {
				_, _, err := db.SessionActor(ctx, id, cfg, start.Add(d))
				must(t, err)
			}
			_, _, err := db.SessionActor(ctx, id, cfg, start.Add(tt.last))
			if tt.ok {
				must(t, err)
				return
			}
			wantCode(t, err, taxsms.EUNAUTHORIZED, "")
			// Deleted: not even an earlier instant revives it.
			_, _, err = db.SessionActor(ctx, id, cfg, start)
			wantCode(t, err, taxsms.EUNAUTHORIZED, "")
		})
	}
	_, _, err := db.SessionActor(ctx, auth.HashSessionID("nope"), cfg, start)
	wantCode(t, err, taxsms.EUNAUTHORIZED, "")
	n, err := db.EndUserSessions(ctx, op.ID)
	must(t, err)
	if n != 2 { // Fresh and Touched are left
		t.Errorf("EndUserSessions = %d, want 2", n)
	}
}

func testAPIKey(t *testing.T, db *store.DB) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	db.Now = clk.Now
	root, b1, b2, op := city(t, db)
	cityCtx := authtest.Context(ctx, taxsms.RoleCityAdmin, 100, root.Path)

	newKey := func(office int64) *auth.APIKey {
		_, hash, err := auth.NewKey()
		must(t, err)
		return &auth.APIKey{Name: "CTAIS", Hash: hash, OfficeID: office, Endpoints: []string{"POST /api/v1/messages", "GET /api/v1/taxpayers"}}
	}
	k := newKey(b1.ID)
	must(t, db.CreateAPIKey(cityCtx, k))
	if k.ID == 0 || k.OfficePath != b1.Path || k.CreatedBy != 100 || k.CreatedAt.IsZero() {
		t.Errorf("created key = %+v", k)
	}

	t.Run("Refused", func(t *testing.T) {
		opCtx := authtest.Context(ctx, taxsms.RoleOperator, op.ID, b1.Path)
		wantCode(t, db.CreateAPIKey(opCtx, newKey(b1.ID)), taxsms.EFORBIDDEN, "")
		// A branch administrator granted the permission reaches its subtree only.
		ba := authtest.Actor(taxsms.RoleBranchAdmin, 101, b1.Path)
		ba.Permissions = append(ba.Permissions, auth.PermManageAPIKeys)
		baCtx := auth.NewContext(ctx, ba)
		wantCode(t, db.CreateAPIKey(baCtx, newKey(b2.ID)), taxsms.EFORBIDDEN, "office")
		must(t, db.CreateAPIKey(baCtx, newKey(b1.ID)))
		wantCode(t, db.CreateAPIKey(cityCtx, newKey(9999)), taxsms.EINVALID, "office")
		bad := newKey(b1.ID)
		bad.Endpoints = nil
		wantCode(t, db.CreateAPIKey(cityCtx, bad), taxsms.EINVALID, "endpoints")
		dup := newKey(b1.ID)
		dup.Hash = k.Hash
		wantCode(t, db.CreateAPIKey(cityCtx, dup), taxsms.ECONFLICT, "")

		list, err := db.ListAPIKeys(baCtx)
		must(t, err)
		if len(list) != 2 {
			t.Errorf("branch lists %d keys, want 2", len(list))
		}
		_, err = db.ListAPIKeys(opCtx)
		wantCode(t, err, taxsms.EFORBIDDEN, "")
	})

	a, err := db.APIKeyActor(ctx, k.Hash)
	must(t, err)
	if a.APIKeyID != k.ID || a.OfficePath != b1.Path || !a.CanCall("POST", "/api/v1/messages") || a.CanCall("DELETE", "/api/v1/messages") {
		t.Errorf("APIKeyActor = %+v", a)
	}
	_, err = db.APIKeyActor(ctx, auth.HashKey("tsk_unknown"))
	wantCode(t, err, taxsms.EUNAUTHORIZED, "")

	// Suspending the office above it stops the key; resuming lets it work again.
	_, err = db.SuspendOffice(cityCtx, root.ID, true, "audit of the bureau")
	must(t, err)
	_, err = db.APIKeyActor(ctx, k.Hash)
	wantCode(t, err, taxsms.EUNAUTHORIZED, "")
	_, err = db.SuspendOffice(cityCtx, root.ID, false, "audit over")
	must(t, err)
	_, err = db.APIKeyActor(ctx, k.Hash)
	must(t, err)

	wantCode(t, db.RevokeAPIKey(authtest.Context(ctx, taxsms.RoleBranchAdmin, 101, b2.Path), k.ID), taxsms.EFORBIDDEN, "")
	must(t, db.RevokeAPIKey(cityCtx, k.ID))
	_, err = db.APIKeyActor(ctx, k.Hash)
	wantCode(t, err, taxsms.EUNAUTHORIZED, "")
	wantCode(t, db.RevokeAPIKey(cityCtx, k.ID), taxsms.ECONFLICT, "")
	wantCode(t, db.RevokeAPIKey(cityCtx, 9999), taxsms.ENOTFOUND, "")
	list, err := db.ListAPIKeys(cityCtx)
	must(t, err)
	if len(list) != 2 || !list[0].Revoked() || list[0].Hash != k.Hash || !slices.Equal(list[0].Endpoints, k.Endpoints) {
		t.Errorf("ListAPIKeys = %+v", list)
	}
	if got := auditActions(t, db, audit.Filter{ObjectType: "api_key"}); len(got) != 3 ||
		got[0].Action != audit.KeyCreated || got[2].Action != audit.KeyRevoked || got[2].Actor.UserID != 100 {
		t.Errorf("api_key records = %+v", got)
	}
	verified(t, db)
}

func testPermissions(t *testing.T, db *store.DB) {
	ctx := context.Background()
	root, b1, b2, op := city(t, db)
	other := &taxsms.User{Login: "shibei.op1", Name: "钱进", OfficeID: b2.ID, Role: taxsms.RoleOperator}
	must(t, db.CreateUser(ctx, other))
	ba := &taxsms.User{Login: "shinan.admin", Name: "李强", OfficeID: b1.ID, Role: taxsms.RoleBranchAdmin}
	must(t, db.CreateUser(ctx, ba))
	baActor, err := db.UserActor(ctx, ba.ID)
	must(t, err)
	baCtx := auth.NewContext(ctx, baActor)
	opActor, err := db.UserActor(ctx, op.ID)
	must(t, err)
	cityCtx := authtest.Context(ctx, taxsms.RoleCityAdmin, 100, root.Path)

	perms, err := db.UserPermissions(ctx, op.ID)
	must(t, err)
	if !slices.Equal(perms, auth.DefaultPermissions(taxsms.RoleOperator)) {
		t.Errorf("UserPermissions = %v, want the defaults", perms)
	}
	for _, tt := range []struct {
		name   string
		ctx    context.Context
		user   int64
		perms  []auth.Permission
		code   string // "" for success
		action audit.Action
	}{
		{"BranchGrantsWhatItHolds", baCtx, op.ID, []auth.Permission{auth.PermSendOwn, auth.PermAnswerTickets, auth.PermRevealNumbers}, "", audit.PermissionGranted},
		{"BranchRevokes", baCtx, op.ID, []auth.Permission{auth.PermSendOwn, auth.PermRevealNumbers}, "", audit.PermissionRevoked},
		{"BranchBeyondItsOwn", baCtx, op.ID, []auth.Permission{auth.PermSendEmergency}, taxsms.EFORBIDDEN, ""},
		{"BranchOtherSubtree", baCtx, other.ID, []auth.Permission{auth.PermSendOwn}, taxsms.ENOTFOUND, ""},
		{"BranchToAnAdmin", baCtx, ba.ID, []auth.Permission{auth.PermSendOwn}, taxsms.EFORBIDDEN, ""},
		{"OperatorGrants", auth.NewContext(ctx, opActor), op.ID, []auth.Permission{auth.PermSendOwn, auth.PermApprove}, taxsms.EFORBIDDEN, ""},
		{"BeyondRoleCeiling", cityCtx, op.ID, []auth.Permission{auth.PermManageUsers}, taxsms.EFORBIDDEN, ""},
		{"Unknown", cityCtx, op.ID, []auth.Permission{"fly"}, taxsms.EINVALID, ""},
		{"CityGrants", cityCtx, other.ID, []auth.Permission{auth.PermSendEmergency, auth.PermSendOwn}, "", audit.PermissionGranted},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := db.UserPermissions(ctx, tt.user)
			err := db.SetUserPermissions(tt.ctx, tt.user, tt.perms)
			got, _ := db.UserPermissions(ctx, tt.user)
			if tt.code != "" {
				wantCode(t, err, tt.code, "")
				if !slices.Equal(got, before) {
					t.Errorf("refused grant changed permissions: %v, was %v", got, before)
				}
				return
			}
			must(t, err)
			want := slices.Clone(tt.perms)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("permissions = %v, want %v", got, want)
			}
			recs := auditActions(t, db, audit.Filter{Action: tt.action, ObjectType: "user"})
			last := recs[len(recs)-1]
			if len(last.Before) == 0 || len(last.After) == 0 || last.Object.ID != itoa(tt.user) {
				t.Errorf("last %s record = %+v", tt.action, last)
			}
		})
	}
	// What a session acts with follows the grant.
	id := signIn(t, db, op.ID, db.Now())
	a, _, err := db.SessionActor(ctx, id, auth.SessionConfig{}, db.Now())
	must(t, err)
	if !a.Has(auth.PermRevealNumbers) || a.Has(auth.PermAnswerTickets) {
		t.Errorf("session actor permissions = %v", a.Permissions)
	}
	verified(t, db)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func testSuspend(t *testing.T, db *store.DB) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	db.Now = clk.Now
	root, b1, b2, op := city(t, db)
	sub := &taxsms.Office{ParentID: b1.ID, Code: "13702020100", Name: "八大关税务所"}
	must(t, db.CreateOffice(ctx, sub))
	subOp := &taxsms.User{Login: "badaguan.op", Name: "周洁", OfficeID: sub.ID, Role: taxsms.RoleOperator}
	must(t, db.CreateUser(ctx, subOp))
	other := &taxsms.User{Login: "shibei.op1", Name: "钱进", OfficeID: b2.ID, Role: taxsms.RoleOperator}
	must(t, db.CreateUser(ctx, other))
	cityCtx := authtest.Context(ctx, taxsms.RoleCityAdmin, 100, root.Path)
	cfg := auth.SessionConfig{}

	// Manual messages by each operator, and an automatic one, in each office.
	msg := func(author, office int64) *taxsms.Message {
		m := mt(taxsms.KindSpecial, "13700000001", 1)
		m.AuthorID, m.OfficeID = author, office
		must(t, db.CreateMessage(ctx, m))
		return m
	}
	mOp, mSub, mOther, mAuto := msg(op.ID, b1.ID), msg(subOp.ID, sub.ID), msg(other.ID, b2.ID), msg(0, b1.ID)

	t.Run("User", func(t *testing.T) {
		id := signIn(t, db, op.ID, clk.Now())
		held, err := db.SuspendUser(ctx, op.ID, true, audit.System, "left the bureau")
		must(t, err)
		if held != 1 {
			t.Errorf("held %d, want 1", held)
		}
		_, _, err = db.SessionActor(ctx, id, cfg, clk.Now())
		wantCode(t, err, taxsms.EUNAUTHORIZED, "")
		_, err = db.SuspendUser(ctx, op.ID, false, audit.System, "back")
		must(t, err)
		_, _, err = db.SessionActor(ctx, id, cfg, clk.Now()) // ended, not paused
		wantCode(t, err, taxsms.EUNAUTHORIZED, "")
	})

	t.Run("Office", func(t *testing.T) {
		ids := map[int64]string{op.ID: signIn(t, db, op.ID, clk.Now()), subOp.ID: signIn(t, db, subOp.ID, clk.Now()),
			other.ID: signIn(t, db, other.ID, clk.Now())}
		opCtx := authtest.Context(ctx, taxsms.RoleOperator, op.ID, b1.Path)
		_, err := db.SuspendOffice(opCtx, b1.ID, true, "x")
		wantCode(t, err, taxsms.EFORBIDDEN, "")
		_, err = db.SuspendOffice(authtest.Context(ctx, taxsms.RoleBranchAdmin, 101, b2.Path), b1.ID, true, "x")
		if c := taxsms.ErrorCode(err); c != taxsms.EFORBIDDEN && c != taxsms.ENOTFOUND {
			t.Errorf("other branch suspends: %v", err)
		}

		held, err := db.SuspendOffice(cityCtx, b1.ID, true, "inspection")
		must(t, err)
		if held != 1 { // mSub; mOp was held with its author
			t.Errorf("held %d, want 1", held)
		}
		for uid, id := range ids {
			_, _, err := db.SessionActor(ctx, id, cfg, clk.Now())
			if uid == other.ID {
				must(t, err)
			} else {
				wantCode(t, err, taxsms.EUNAUTHORIZED, "")
			}
		}
		// A session made while suspended (it cannot be, but say it were) is refused too.
		id := signIn(t, db, subOp.ID, clk.Now())
		_, _, err = db.SessionActor(ctx, id, cfg, clk.Now())
		wantCode(t, err, taxsms.EUNAUTHORIZED, "")
		r, err := db.LoginRecord(ctx, subOp.Login)
		must(t, err)
		if !r.OfficeSuspended {
			t.Error("LoginRecord.OfficeSuspended = false under a suspended office")
		}
		for _, tt := range []struct {
			m    *taxsms.Message
			want taxsms.Status
		}{{mOp, taxsms.StatusHeld}, {mSub, taxsms.StatusHeld}, {mOther, taxsms.StatusQueued}, {mAuto, taxsms.StatusQueued}} {
			got, err := db.FindMessage(ctx, tt.m.ID)
			must(t, err)
			if got.Status != tt.want {
				t.Errorf("message by %d in %d: %s, want %s", tt.m.AuthorID, tt.m.OfficeID, got.Status, tt.want)
			}
		}
		_, err = db.SuspendOffice(cityCtx, b1.ID, true, "again")
		wantCode(t, err, taxsms.ECONFLICT, "")
		_, err = db.SuspendOffice(cityCtx, b1.ID, false, "inspection over")
		must(t, err)
		_, _, err = db.SessionActor(ctx, id, cfg, clk.Now())
		must(t, err)
		recs := auditActions(t, db, audit.Filter{ObjectType: "office", ObjectID: itoa(b1.ID)})
		var actions []audit.Action
		for _, e := range recs {
			actions = append(actions, e.Action)
		}
		if !slices.Equal(actions[len(actions)-2:], []audit.Action{audit.Suspended, audit.Resumed}) ||
			!strings.Contains(recs[len(recs)-2].Detail, "inspection; 1 queued") || recs[len(recs)-2].Actor.UserID != 100 {
			t.Errorf("office records = %+v", recs)
		}
	})
	verified(t, db)
}

func testReveal(t *testing.T, db *store.DB) {
	ctx := context.Background()
	_, b1, b2, op := city(t, db)
	tp := newTaxpayer(b1.ID, op.ID, 1)
	must(t, db.CreateTaxpayer(ctx, tp))
	c := &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleLegalRep, Mobile: "13900000001", Status: taxsms.ServiceActive}
	must(t, db.CreateContact(ctx, c))
	plain := authtest.Actor(taxsms.RoleOperator, op.ID, b1.Path)
	may := authtest.Actor(taxsms.RoleOperator, op.ID, b1.Path)
	may.Permissions = append(may.Permissions, auth.PermRevealNumbers, auth.PermExport)
	may.IP = "198.51.100.4"
	mayCtx := auth.NewContext(ctx, may)
	elsewhere := authtest.Actor(taxsms.RoleBranchAdmin, 101, b2.Path)

	_, err := db.RevealMobile(auth.NewContext(ctx, plain), "contact", c.ID, "call back")
	wantCode(t, err, taxsms.EFORBIDDEN, "")
	_, err = db.RevealMobile(auth.NewContext(ctx, elsewhere), "contact", c.ID, "call back")
	wantCode(t, err, taxsms.ENOTFOUND, "")
	_, err = db.RevealMobile(mayCtx, "contact", c.ID, " ")
	wantCode(t, err, taxsms.EINVALID, "reason")
	_, err = db.RevealMobile(mayCtx, "taxpayer", c.ID, "x")
	wantCode(t, err, taxsms.EINVALID, "kind")
	got, err := db.RevealMobile(mayCtx, "contact", c.ID, "call back about the deadline")
	must(t, err)
	if got != "13900000001" {
		t.Errorf("RevealMobile = %q", got)
	}
	got, err = db.RevealMobile(mayCtx, "user", op.ID, "own number")
	must(t, err)
	if got != op.Mobile {
		t.Errorf("RevealMobile(user) = %q, want %q", got, op.Mobile)
	}
	recs := auditActions(t, db, audit.Filter{Action: audit.NumberRevealed})
	if len(recs) != 2 || recs[0].Actor.UserID != op.ID || recs[0].IP != "198.51.100.4" || recs[0].Object.ID != itoa(c.ID) ||
		recs[0].Detail != "139****0001: call back about the deadline" {
		t.Errorf("number_revealed records = %+v", recs)
	}

	wantCode(t, db.RecordExport(auth.NewContext(ctx, plain), "taxpayers", "office 2", 10), taxsms.EFORBIDDEN, "")
	must(t, db.RecordExport(mayCtx, "taxpayers", "name contains 海纳", 10))
	if recs := auditActions(t, db, audit.Filter{Action: audit.Exported}); len(recs) != 1 || recs[0].Object.Type != "taxpayers" ||
		!strings.Contains(recs[0].Detail, "10 rows") {
		t.Errorf("exported records = %+v", recs)
	}
	verified(t, db)
}

// testAdminAudit proves that every administrative write of the store leaves
// one record by the actor of its context, with the states before and after,
// numbers masked, and that the chain verifies.
func testAdminAudit(t *testing.T, db *store.DB) {
	bg := context.Background()
	root, b1, _, op := city(t, db)
	admin := authtest.Actor(taxsms.RoleCityAdmin, 100, root.Path)
	admin.IP = "203.0.113.9:41000"
	ctx := auth.NewContext(bg, admin)
	tp := newTaxpayer(b1.ID, op.ID, 1)
	c := &taxsms.Contact{TaxpayerID: 0, Role: taxsms.RoleLegalRep, Mobile: "13900000001", Status: taxsms.ServiceActive}
	u := &taxsms.User{Login: "shinan.op9", Name: "孙丽", OfficeID: b1.ID, Role: taxsms.RoleOperator, Mobile: "13700000009"}
	o := &taxsms.Office{ParentID: b1.ID, Code: "SN-01", Name: "八大关税务所"}

	for _, tt := range []struct {
		name       string
		write      func() error
		action     audit.Action
		object     string
		hasBefore  bool
		wantInJSON string // a fragment of After
	}{
		{"CreateOffice", func() error { return db.CreateOffice(ctx, o) }, audit.OfficeCreated, "office", false, `"code":"SN-01"`},
		{"UpdateOffice", func() error { o.Name = "八大关所"; return db.UpdateOffice(ctx, o) }, audit.OfficeChanged, "office", true, `"name":"八大关所"`},
		{"CreateUser", func() error { return db.CreateUser(ctx, u) }, audit.UserCreated, "user", false, `"mobile":"137****0009"`},
		{"UpdateUser", func() error { u.Name = "孙丽丽"; return db.UpdateUser(ctx, u) }, audit.UserChanged, "user", true, `"name":"孙丽丽"`},
		{"CreateTaxpayer", func() error { return db.CreateTaxpayer(ctx, tp) }, audit.TaxpayerChanged, "taxpayer", false, tp.Identifier},
		{"UpdateTaxpayer", func() error { tp.Industry = "零售业"; return db.UpdateTaxpayer(ctx, tp) }, audit.TaxpayerChanged, "taxpayer", true, `"industry":"零售业"`},
		{"CreateContact", func() error { c.TaxpayerID = tp.ID; return db.CreateContact(ctx, c) }, audit.ContactChanged, "contact", false, `"mobile":"139****0001"`},
		{"ChangeNumber", func() error {
			c.Mobile, c.StatusChannel, c.StatusSince = "13900000002", taxsms.ChannelWindow, time.Time{}
			return db.UpdateContact(ctx, c)
		}, audit.ContactChanged, "contact", true, `"mobile":"139****0002"`},
		{"Cancel", func() error { c.Status = taxsms.ServiceCancelled; return db.UpdateContact(ctx, c) }, audit.ContactChanged, "contact", true, `"status":"cancelled"`},
		{"UpsertOffices", func() error {
			_, err := db.UpsertOffices(ctx, []store.OfficeRow{{Office: taxsms.Office{Code: "SN-02", Name: "x"}, ParentCode: b1.Code}})
			return err
		}, audit.Imported, "offices", false, `"inserted":1`},
		{"UpsertUsers", func() error {
			_, err := db.UpsertUsers(ctx, seq(&taxsms.User{Login: "imp.1", Name: "x", OfficeID: b1.ID, Role: taxsms.RoleOperator}))
			return err
		}, audit.Imported, "users", false, `"inserted":1`},
		{"UpsertTaxpayers", func() error {
			_, err := db.UpsertTaxpayers(ctx, seq(newTaxpayer(b1.ID, 0, 2), newTaxpayer(b1.ID, 0, 3), tp))
			return err
		}, audit.Imported, "taxpayers", false, `"inserted":2,"updated":0,"unchanged":1`},
		{"UpsertContacts", func() error {
			_, err := db.UpsertContacts(ctx, seq(&taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleFinance, Mobile: "13900000003",
				Status: taxsms.ServiceActive, StatusChannel: taxsms.ChannelImport}))
			return err
		}, audit.Imported, "contacts", false, `"inserted":1`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			head, err := db.AuditHead(bg)
			must(t, err)
			must(t, tt.write())
			var recs []audit.Entry
			for e, err := range db.ExportAudit(bg, audit.Filter{}) {
				must(t, err)
				if e.Seq > head.Seq {
					recs = append(recs, e)
				}
			}
			if len(recs) != 1 {
				t.Fatalf("%d records, want 1: %+v", len(recs), recs)
			}
			e := recs[0]
			if e.Action != tt.action || e.Object.Type != tt.object || e.Actor.UserID != 100 || e.Actor.Role != taxsms.RoleCityAdmin ||
				e.IP != "203.0.113.9" {
				t.Errorf("record = %+v", e)
			}
			if (len(e.Before) > 0) != tt.hasBefore || !strings.Contains(string(e.After), tt.wantInJSON) {
				t.Errorf("before %s, after %s; want before: %v, after holding %s", e.Before, e.After, tt.hasBefore, tt.wantInJSON)
			}
		})
	}
	// A save that changes nothing records nothing; a system write is the system's.
	head, _ := db.AuditHead(bg)
	must(t, db.UpdateTaxpayer(ctx, tp))
	if h, _ := db.AuditHead(bg); h != head {
		t.Errorf("an unchanged save was recorded")
	}
	must(t, db.CreateOffice(bg, &taxsms.Office{ParentID: b1.ID, Code: "SN-03", Name: "y"}))
	recs := auditActions(t, db, audit.Filter{Action: audit.OfficeCreated})
	if last := recs[len(recs)-1]; last.Actor != audit.System || last.IP != "" {
		t.Errorf("system write recorded as %+v from %q", last.Actor, last.IP)
	}
	// A refused write records nothing.
	head, _ = db.AuditHead(bg)
	opCtx := authtest.Context(bg, taxsms.RoleOperator, op.ID, b1.Path)
	if err := db.CreateOffice(opCtx, &taxsms.Office{ParentID: b1.ID, Code: "SN-04", Name: "z"}); err == nil {
		t.Fatal("an operator created an office")
	}
	if h, _ := db.AuditHead(bg); h != head {
		t.Errorf("a refused write was recorded")
	}
	verified(t, db)
}

// testUserRoles proves that a branch administrator makes and changes only
// operators of its subtree, so that it cannot raise anyone, itself included,
// above what CanGrant lets it hand out.
func testUserRoles(t *testing.T, db *store.DB) {
	bg := context.Background()
	root, b1, _, op := city(t, db)
	ba := &taxsms.User{Login: "shinan.admin", Name: "李强", OfficeID: b1.ID, Role: taxsms.RoleBranchAdmin}
	must(t, db.CreateUser(bg, ba))
	baActor, err := db.UserActor(bg, ba.ID)
	must(t, err)
	baCtx := auth.NewContext(bg, baActor)
	noPerm := *baActor
	noPerm.Permissions = []auth.Permission{auth.PermSendOwn}
	noPermCtx := auth.NewContext(bg, &noPerm)
	cityCtx := authtest.Context(bg, taxsms.RoleCityAdmin, 100, root.Path)
	user := func(login string, role taxsms.Role) *taxsms.User {
		return &taxsms.User{Login: login, Name: "新人", OfficeID: b1.ID, Role: role}
	}
	promoted := *op
	promoted.Role = taxsms.RoleBranchAdmin
	self := *ba
	self.Name = "李强强"
	selfUp := *ba
	selfUp.Role = taxsms.RoleCityAdmin
	must(t, db.SetUserPermissions(cityCtx, op.ID, []auth.Permission{auth.PermSendOwn, auth.PermRevealNumbers}))

	for _, tt := range []struct {
		name  string
		write func() error
		code  string
	}{
		{"BranchCreatesOperator", func() error { return db.CreateUser(baCtx, user("new.op", taxsms.RoleOperator)) }, ""},
		{"BranchCreatesAdmin", func() error { return db.CreateUser(baCtx, user("new.admin", taxsms.RoleBranchAdmin)) }, taxsms.EFORBIDDEN},
		{"BranchCreatesCityAdmin", func() error { return db.CreateUser(baCtx, user("new.city", taxsms.RoleCityAdmin)) }, taxsms.EFORBIDDEN},
		{"BranchPromotesOperator", func() error { p := promoted; return db.UpdateUser(baCtx, &p) }, taxsms.EFORBIDDEN},
		{"BranchEditsItself", func() error { s := self; return db.UpdateUser(baCtx, &s) }, ""},
		{"BranchPromotesItself", func() error { s := selfUp; return db.UpdateUser(baCtx, &s) }, taxsms.EFORBIDDEN},
		{"WithoutManageUsers", func() error { return db.CreateUser(noPermCtx, user("new.op2", taxsms.RoleOperator)) }, taxsms.EFORBIDDEN},
		{"CityPromotes", func() error { p := promoted; return db.UpdateUser(cityCtx, &p) }, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.write()
			if tt.code == "" {
				must(t, err)
				return
			}
			wantCode(t, err, tt.code, "")
		})
	}
	// The promotion dropped the operator's grant for the new role's defaults.
	perms, err := db.UserPermissions(bg, op.ID)
	must(t, err)
	if want := auth.DefaultPermissions(taxsms.RoleBranchAdmin); !slices.Equal(perms, want) {
		t.Errorf("permissions after promotion = %v, want %v", perms, want)
	}
}

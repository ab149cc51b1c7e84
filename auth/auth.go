// Package auth decides who a request acts as and what it may touch: staff
// passwords (argon2id), lockout, a TOTP second factor, sessions, CSRF tokens,
// API keys for the tax core systems, permissions as data and the scope of
// each role (MISSION ).
//
// The package holds no database, clock or key of its own: every decision is a
// function of values passed in (a LoginState, a Session, the time), so that
// the store persists the state and several nodes share it.
//
// # The actor and the store
//
// The web layer authenticates a request (session cookie or API key), builds
// an *Actor and puts it in the request's context with NewContext. The store
// reads it back with FromContext and applies Actor.Access to every read and
// write, so scope is enforced in the data layer, not only in the screens:
//
//	a, _ := auth.FromContext(ctx)
//	acc := a.Access(auth.DataTaxpayers) // a nil *Actor (the system) gets ScopeAll
//	if !acc.Write.Contains(office.Path, t.AdminID) { return ENOTFOUND }
//
// Contract: a context without an actor is the system itself (schedulers,
// dispatch, `taxsms user add`) and is allowed everything. The web layer must
// therefore set an actor on every request it serves, including API requests.
//
// # Signing in
//
// For a login form: Lockout.Check the stored LoginState (keyed by the login
// as typed, so that unknown logins lock just like known ones); for an unknown
// login call Hasher.VerifyDummy, for a known one Hasher.Verify; on failure
// store Lockout.Failed, on success store the zero LoginState, then ask for
// the TOTP code if the user enrolled or TOTPPolicy requires it; then create a
// session with NewSession and send SessionConfig.Cookie.
//
// # Known limits
//
//   - Suspension is the store's: it must refuse to load a session or
//     an API key whose user or office (or an ancestor office) is suspended,
//     and delete the user's sessions when it suspends. Nothing here caches an
//     Actor across requests.
//   - The lockout slows guessing per login, not per address; a spray of one
//     password over many logins is left to a rate limit in front.
//   - A locked account answers differently from a wrong password, so whether
//     a login exists stays hidden only if the store keeps a LoginState for
//     unknown logins too.
//   - A Session has no state for "password checked, second factor pending":
//     the web layer keeps that step apart (a short-lived signed value) and
//     creates the Session only once both factors passed.
//   - TOTP secrets are returned in clear; encrypting them at rest is the
//     store's.
package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"taxsms"
)

// Actor is who a request acts as: a staff user signed in with a session, or a
// tax core system with an API key (APIKeyID non-zero). A nil *Actor is the
// system itself; its methods allow everything.
type Actor struct {
	UserID      int64 // 0 for an API key
	Login       string
	Role        taxsms.Role // "" for an API key
	OfficeID    int64
	OfficePath  string // Path of the office, "/1/5/"; the subtree the actor may reach
	Permissions []Permission
	APIKeyID    int64 // the key this actor authenticated with; 0 for a user
	// Endpoints are the route patterns an API key's actor may call (see
	// CanCall); nil for a user.
	Endpoints []string
	// IP is the client address of the request, recorded in the audit
	// archive; "" for the command line and the system.
	IP string
	// Lang is the user's language for the console, "zh" or "en"; "" for an
	// API key.
	Lang string
}

// UserActor returns the actor a user acts as, in the office whose Path is
// officePath, holding perms. Permissions beyond the role's ceiling
// (RolePermissions) are dropped, so a stale or tampered row never widens
// what a role may do.
func UserActor(u *taxsms.User, officePath string, perms []Permission) *Actor {
	ceiling := roleTable[u.Role].Ceiling
	var held []Permission
	for _, p := range perms {
		if slices.Contains(ceiling, p) && !slices.Contains(held, p) {
			held = append(held, p)
		}
	}
	return &Actor{UserID: u.ID, Login: u.Login, Role: u.Role, OfficeID: u.OfficeID, OfficePath: officePath, Permissions: held}
}

// Has reports whether a holds p. The system (nil) holds everything.
func (a *Actor) Has(p Permission) bool {
	return a == nil || slices.Contains(a.Permissions, p)
}

// CanCall reports whether a may call the API route pattern with method:
// users and the system may call every route (their permissions and scope
// decide the rest), an API key only those it lists (APIKey.Allows).
func (a *Actor) CanCall(method, pattern string) bool {
	if a == nil || a.APIKeyID == 0 {
		return true
	}
	return APIKey{Endpoints: a.Endpoints}.Allows(method, pattern)
}

// Require returns nil if a holds p, and otherwise an EFORBIDDEN error naming
// the permission.
func (a *Actor) Require(p Permission) error {
	if a.Has(p) {
		return nil
	}
	return forbidden("", "%s does not hold the permission %q", a, p)
}

// String names the actor for messages and logs: "user alice (12)",
// "API key 3" or "the system".
func (a *Actor) String() string {
	switch {
	case a == nil:
		return "the system"
	case a.APIKeyID != 0:
		return fmt.Sprintf("API key %d", a.APIKeyID)
	default:
		return fmt.Sprintf("user %s (%d)", a.Login, a.UserID)
	}
}

type contextKey struct{}

// NewContext returns a copy of ctx carrying a. The store reads it with
// FromContext.
func NewContext(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, contextKey{}, a)
}

// FromContext returns the actor in ctx, and false if there is none: the
// system, allowed everything (see the package comment).
func FromContext(ctx context.Context) (*Actor, bool) {
	a, ok := ctx.Value(contextKey{}).(*Actor)
	return a, ok && a != nil
}

// AccessFrom returns the access of ctx's actor to d: shorthand for the
// store's FromContext then Actor.Access.
func AccessFrom(ctx context.Context, d Data) Access {
	a, _ := FromContext(ctx)
	return a.Access(d)
}

// Data is a kind of record the store keeps, for which Actor.Access states a
// scope.
type Data string

// Kinds of data.
const (
	DataTaxpayers Data = "taxpayers" // taxpayers and their contacts (numbers)
	DataMessages  Data = "messages"  // messages, campaigns, their recipients
	DataTickets   Data = "tickets"   // consultations and complaints received by SMS
	DataUsers     Data = "users"     // staff users, their permissions and sessions
	DataOffices   Data = "offices"   // the office tree
	DataAudit     Data = "audit"     // the audit log
	DataLinks     Data = "links"     // carrier links, routes, health
	DataBilling   Data = "billing"   // tariffs and monthly statements
)

// Level is how far a Scope reaches. The zero Level reaches nothing.
type Level uint8

// Levels, from nothing to everything.
const (
	LevelNone     Level = iota // no record
	LevelAssigned              // records assigned to (or written by) one user
	LevelSubtree               // records of one office and the offices below it
	LevelAll                   // every record
)

// Scope is the set of records an actor may read, or write, of one kind of
// data. The zero Scope reaches nothing, so a forgotten case denies.
type Scope struct {
	Level  Level
	Path   string // LevelSubtree: the Path of the subtree's root office, "/1/5/"
	UserID int64  // LevelAssigned: the user the records are assigned to
}

// ScopeNone reaches no record.
func ScopeNone() Scope { return Scope{} }

// ScopeAll reaches every record.
func ScopeAll() Scope { return Scope{Level: LevelAll} }

// ScopeSubtree reaches the records of the office whose Path is path and of
// every office below it. A path not of the form "/1/5/" reaches nothing.
func ScopeSubtree(path string) Scope { return Scope{Level: LevelSubtree, Path: path} }

// ScopeAssigned reaches the records assigned to userID: for taxpayers, those
// whose tax administrator is userID; for messages, those userID wrote or sent
// to its taxpayers; for tickets, those assigned to userID; for users, the
// user's own record.
func ScopeAssigned(userID int64) Scope { return Scope{Level: LevelAssigned, UserID: userID} }

// Contains reports whether a record is in s: one of the office whose Path is
// officePath, assigned to the user ownerID (0 if none). A malformed path is
// in no subtree.
func (s Scope) Contains(officePath string, ownerID int64) bool {
	switch s.Level {
	case LevelAll:
		return true
	case LevelSubtree:
		return validPath(s.Path) && validPath(officePath) && strings.HasPrefix(officePath, s.Path)
	case LevelAssigned:
		return s.UserID != 0 && ownerID == s.UserID
	default:
		return false
	}
}

// String describes s: "all", "none", "subtree /1/5/" or "assigned to 7".
func (s Scope) String() string {
	switch s.Level {
	case LevelAll:
		return "all"
	case LevelSubtree:
		return "subtree " + s.Path
	case LevelAssigned:
		return fmt.Sprintf("assigned to %d", s.UserID)
	default:
		return "none"
	}
}

// validPath reports whether p is an office Path: "/", then one or more
// decimal ids each followed by "/".
func validPath(p string) bool {
	if len(p) < 3 || p[0] != '/' || p[len(p)-1] != '/' {
		return false
	}
	prev := byte('/')
	for i := 1; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '/' && prev == '/':
			return false
		case c != '/' && (c < '0' || c > '9'):
			return false
		}
		prev = c
	}
	return true
}

// Access is what an actor may read and write of one kind of data. Write is
// never wider than Read. The permissions say which acts are allowed (sending,
// approving); Access says on which records.
type Access struct {
	Read, Write Scope
}

// Access returns what a may read and write of d, by role:
//
//	data       city admin   branch admin   operator        auditor    maintainer  API key
//	taxpayers  all/all      subtree/sub.   assigned/ass.   all/none   none        subtree/subtree
//	messages   all/all      subtree/sub.   assigned/ass.   all/none   none        subtree/subtree
//	tickets    all/all      subtree/sub.   assigned/ass.   all/none   none        subtree/subtree
//	users      all/all      subtree/sub.   self/none       all/none   self/none   none
//	offices    all/all      subtree/sub.   subtree/none    all/none   all/none    subtree/none
//	audit      all/none     subtree/none   none            all/none   none        none
//	links      all/all      none           none            all/none   all/all     none
//	billing    all/all      subtree/none   none            all/none   none        none
//
// No actor writes the audit log: the store appends to it as a consequence of
// the act. A nil actor (the system) gets all/all for every kind; an unknown
// role or kind gets nothing. Changing one's own password or second factor is
// not a write of DataUsers: the store allows it to every user on its own
// record.
func (a *Actor) Access(d Data) Access {
	if a == nil {
		return Access{ScopeAll(), ScopeAll()}
	}
	all, none := ScopeAll(), ScopeNone()
	sub := ScopeSubtree(a.OfficePath)
	if a.APIKeyID != 0 {
		switch d {
		case DataTaxpayers, DataMessages, DataTickets:
			return Access{sub, sub}
		case DataOffices:
			return Access{sub, none}
		}
		return Access{}
	}
	switch a.Role {
	case taxsms.RoleCityAdmin:
		switch d {
		case DataTaxpayers, DataMessages, DataTickets, DataUsers, DataOffices, DataLinks, DataBilling:
			return Access{all, all}
		case DataAudit:
			return Access{all, none}
		}
	case taxsms.RoleBranchAdmin:
		switch d {
		case DataTaxpayers, DataMessages, DataTickets, DataUsers, DataOffices:
			return Access{sub, sub}
		case DataAudit, DataBilling:
			return Access{sub, none}
		}
	case taxsms.RoleOperator:
		own := ScopeAssigned(a.UserID)
		switch d {
		case DataTaxpayers, DataMessages, DataTickets:
			return Access{own, own}
		case DataUsers:
			return Access{own, none}
		case DataOffices:
			return Access{sub, none}
		}
	case taxsms.RoleAuditor:
		switch d {
		case DataTaxpayers, DataMessages, DataTickets, DataUsers, DataOffices, DataAudit, DataLinks, DataBilling:
			return Access{all, none}
		}
	case taxsms.RoleMaintainer:
		switch d {
		case DataUsers:
			return Access{ScopeAssigned(a.UserID), none}
		case DataOffices:
			return Access{all, none}
		case DataLinks:
			return Access{all, all}
		}
	}
	return Access{}
}

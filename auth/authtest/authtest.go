// Package authtest provides cheap stand-ins for package auth in other
// packages' tests: a fast Hasher and actors of each role. Nothing here may be
// used outside tests: its password hashes are weak by design.
package authtest

import (
	"bytes"
	"context"
	"strconv"
	"strings"

	"taxsms"
	"taxsms/auth"
)

// Params are argon2id parameters that hash in microseconds (64 KiB, one
// pass): for tests only.
var Params = auth.Params{Memory: 64, Time: 1, Threads: 1}

// Hasher returns a Hasher with Params.
func Hasher() *auth.Hasher { return auth.NewHasher(Params, 0) }

// CSRF returns a CSRF with a fixed key.
func CSRF() *auth.CSRF {
	c, err := auth.NewCSRF(bytes.Repeat([]byte{'k'}, 32))
	if err != nil {
		panic(err) // the key has the right length
	}
	return c
}

// Actor returns an actor of role, user userID named "user<ID>", in the office
// whose Path is officePath (its id is the path's last id), holding the role's
// DefaultPermissions.
func Actor(role taxsms.Role, userID int64, officePath string) *auth.Actor {
	u := &taxsms.User{ID: userID, Login: "user" + strconv.FormatInt(userID, 10), Role: role, OfficeID: lastID(officePath)}
	return auth.UserActor(u, officePath, auth.DefaultPermissions(role))
}

// Context returns ctx carrying Actor(role, userID, officePath).
func Context(ctx context.Context, role taxsms.Role, userID int64, officePath string) context.Context {
	return auth.NewContext(ctx, Actor(role, userID, officePath))
}

// lastID returns the last id of a Path such as "/1/5/12/" (12), or 0.
func lastID(path string) int64 {
	ids := strings.Split(strings.Trim(path, "/"), "/")
	id, _ := strconv.ParseInt(ids[len(ids)-1], 10, 64)
	return id
}

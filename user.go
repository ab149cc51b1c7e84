package taxsms

import (
	"time"
)

// Role is what a staff user is in the bureau (MISSION ).
type Role string

// Roles.
const (
	RoleCityAdmin   Role = "city_admin"   // runs the platform for the whole city
	RoleBranchAdmin Role = "branch_admin" // runs it for one branch's subtree
	RoleOperator    Role = "operator"     // sends to the taxpayers in their charge
	RoleAuditor     Role = "auditor"      // reads everything, changes nothing
	RoleMaintainer  Role = "maintainer"   // carrier links and health; no taxpayer data
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleCityAdmin, RoleBranchAdmin, RoleOperator, RoleAuditor, RoleMaintainer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

// UserStatus tells whether a user may use the platform.
type UserStatus string

// User statuses.
const (
	UserActive    UserStatus = "active"
	UserSuspended UserStatus = "suspended" // Art. 19
)

// User is a member of staff.
type User struct {
	ID       int64
	Login    string // unique; letters, digits, '.', '_' and '-'
	Name     string
	OfficeID int64
	Role     Role
	Status   UserStatus
	Mobile   string // 11 digits, for internal notices; optional

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate returns an EINVALID error naming the first bad field. It
// normalises Mobile in place.
func (u *User) Validate() error {
	if u.Login == "" {
		return Invalid("login", "required")
	}
	if len(u.Login) > 64 {
		return Invalid("login", "at most 64 characters, got %d", len(u.Login))
	}
	for _, r := range u.Login {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '.' || r == '_' || r == '-') {
			return Invalid("login", "%q: only letters, digits, '.', '_' and '-' allowed", u.Login)
		}
	}
	if err := checkText("name", u.Name, 1, 50); err != nil {
		return err
	}
	if u.OfficeID <= 0 {
		return Invalid("office", "required")
	}
	if !u.Role.Valid() {
		return Invalid("role", "unknown role %q", u.Role)
	}
	if u.Status == "" {
		u.Status = UserActive
	}
	if u.Status != UserActive && u.Status != UserSuspended {
		return Invalid("status", "unknown status %q", u.Status)
	}
	if u.Mobile != "" {
		m, err := NormalizeMobile(u.Mobile)
		if err != nil {
			return err
		}
		u.Mobile = m
	}
	return nil
}

// UserFilter selects users. Zero fields do not filter.
type UserFilter struct {
	Subtree int64 // users of this office and the offices below it
	Role    Role
	Login   string
	Limit   int
}

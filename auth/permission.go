package auth

import (
	"slices"
	"strings"

	"taxsms"
)

// Permission is one thing a user may do. Permissions are data: each user holds
// a list of them, stored with the user, and a branch administrator hands its
// operators a part of its own (MISSION R-5). What a permission allows is
// bounded by the actor's scope (see Actor.Access): send_jurisdiction lets a
// branch administrator send to its subtree, not to the city.
type Permission string

// Permissions a user may hold.
const (
	// PermSendOwn sends messages to the taxpayers assigned to the user.
	PermSendOwn Permission = "send_own"
	// PermSendJurisdiction sends messages to any taxpayer of the user's
	// office subtree.
	PermSendJurisdiction Permission = "send_jurisdiction"
	// PermSendCity sends messages to every taxpayer of the city.
	PermSendCity Permission = "send_city"
	// PermSendEmergency sends a manual message outside working hours, with a
	// stated reason.
	PermSendEmergency Permission = "send_emergency"
	// PermApprove approves (or rejects) another user's manual message and
	// overrides a content-check flag, with a recorded reason.
	PermApprove Permission = "approve"
	// PermManageTaxpayers creates and edits taxpayers and their contacts,
	// and imports them.
	PermManageTaxpayers Permission = "manage_taxpayers"
	// PermAnswerTickets reads and answers taxpayers' consultations and
	// complaints.
	PermAnswerTickets Permission = "answer_tickets"
	// PermManageUsers creates, edits, suspends users and resets their
	// passwords, and grants permissions (within CanGrant's rules).
	PermManageUsers Permission = "manage_users"
	// PermManageOffices creates, edits and suspends offices.
	PermManageOffices Permission = "manage_offices"
	// PermManageCarriers configures carrier links, prefixes and routes.
	PermManageCarriers Permission = "manage_carriers"
	// PermViewHealth reads link health, queues and metrics.
	PermViewHealth Permission = "view_health"
	// PermRevealNumbers shows a full mobile number instead of the masked
	// one; every reveal is audited.
	PermRevealNumbers Permission = "reveal_numbers"
	// PermExport downloads lists (CSV, Excel); numbers stay masked unless
	// the user also holds PermRevealNumbers.
	PermExport Permission = "export"
	// PermEditWordLists edits the prohibited-content word and pattern lists
	//
	PermEditWordLists Permission = "edit_word_lists"
	// PermManageTemplates creates and edits message templates.
	PermManageTemplates Permission = "manage_templates"
	// PermManageCalendar edits statutory holidays, make-up working days and
	// tax deadlines.
	PermManageCalendar Permission = "manage_calendar"
	// PermViewAudit reads the audit log of the user's scope.
	PermViewAudit Permission = "view_audit"
	// PermViewBilling reads monthly statements and tariffs of the user's
	// scope.
	PermViewBilling Permission = "view_billing"
	// PermManageAPIKeys creates and revokes API keys for the tax core
	// systems, each limited to an office subtree the user may manage.
	PermManageAPIKeys Permission = "manage_api_keys"
	// PermManageSettings changes platform settings, such as which roles must
	// use a second factor (TOTPPolicy).
	PermManageSettings Permission = "manage_settings"
	// PermReadAll reads every record of every office, changing nothing: the
	// auditor's permission. Scope comes from the role; this permission
	// documents the auditor's reach and lets screens show read-only views.
	PermReadAll Permission = "read_all"
)

// AllPermissions lists every permission, in the order of the constants.
var AllPermissions = []Permission{
	PermSendOwn, PermSendJurisdiction, PermSendCity, PermSendEmergency,
	PermApprove, PermManageTaxpayers, PermAnswerTickets, PermManageUsers,
	PermManageOffices, PermManageCarriers, PermViewHealth, PermRevealNumbers,
	PermExport, PermEditWordLists, PermManageTemplates, PermManageCalendar,
	PermViewAudit, PermViewBilling, PermManageAPIKeys, PermManageSettings,
	PermReadAll,
}

// Valid reports whether p is a known permission.
func (p Permission) Valid() bool { return slices.Contains(AllPermissions, p) }

// ParsePermissions converts names (as stored or as posted by a form) to
// permissions, sorted and without duplicates. It returns an EINVALID error
// naming "permissions" and the first unknown name.
func ParsePermissions(names []string) ([]Permission, error) {
	out := make([]Permission, 0, len(names))
	for _, n := range names {
		p := Permission(strings.TrimSpace(n))
		if !p.Valid() {
			return nil, taxsms.Invalid("permissions", "unknown permission %q", n)
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// roleTable holds, for each role, the permissions a new user of that role is
// given (Default) and the most it may ever hold (Ceiling). The ceiling keeps
// the roles' meaning whatever an administrator grants: an auditor changes
// nothing, a maintainer never touches taxpayer data, only the city sends to
// the whole city.
var roleTable = map[taxsms.Role]struct{ Default, Ceiling []Permission }{
	taxsms.RoleCityAdmin: {
		Default: AllPermissions,
		Ceiling: AllPermissions,
	},
	taxsms.RoleBranchAdmin: {
		Default: []Permission{
			PermSendOwn, PermSendJurisdiction, PermApprove, PermManageTaxpayers,
			PermAnswerTickets, PermManageUsers, PermRevealNumbers, PermExport,
			PermManageTemplates, PermViewAudit, PermViewBilling,
		},
		Ceiling: []Permission{
			PermSendOwn, PermSendJurisdiction, PermSendEmergency, PermApprove,
			PermManageTaxpayers, PermAnswerTickets, PermManageUsers,
			PermManageOffices, PermRevealNumbers, PermExport, PermManageTemplates,
			PermViewAudit, PermViewBilling, PermManageAPIKeys,
		},
	},
	taxsms.RoleOperator: {
		Default: []Permission{PermSendOwn, PermAnswerTickets},
		Ceiling: []Permission{
			PermSendOwn, PermSendJurisdiction, PermSendEmergency, PermApprove,
			PermManageTaxpayers, PermAnswerTickets, PermRevealNumbers, PermExport,
			PermManageTemplates,
		},
	},
	taxsms.RoleAuditor: {
		Default: []Permission{PermReadAll, PermViewAudit, PermViewBilling, PermViewHealth},
		Ceiling: []Permission{PermReadAll, PermViewAudit, PermViewBilling, PermViewHealth, PermExport},
	},
	taxsms.RoleMaintainer: {
		Default: []Permission{PermManageCarriers, PermViewHealth},
		Ceiling: []Permission{PermManageCarriers, PermViewHealth, PermManageCalendar},
	},
}

// DefaultPermissions returns the permissions a new user of role is given: a
// fresh slice the caller may change. It returns nil for an unknown role.
func DefaultPermissions(role taxsms.Role) []Permission {
	return slices.Clone(roleTable[role].Default)
}

// RolePermissions returns the most a user of role may ever hold, whoever
// grants it: a fresh slice, nil for an unknown role.
func RolePermissions(role taxsms.Role) []Permission {
	return slices.Clone(roleTable[role].Ceiling)
}

// CanGrant reports whether granter may give a user of role target, in the
// office whose Path is officePath, exactly the permissions perms (the user's
// whole new set: removing permissions is granting the smaller set). The rules:
//
//   - perms must all be known (else EINVALID naming "permissions") and within
//     the target role's ceiling, RolePermissions (else EFORBIDDEN);
//   - the system (a nil granter: `taxsms user add`, internal jobs) may grant
//     anything within the ceiling;
//   - a city administrator holding PermManageUsers may grant anything within
//     the ceiling, to anyone;
//   - a branch administrator holding PermManageUsers may grant only to
//     operators, only in its own office subtree, and only permissions it
//     holds itself;
//   - anyone else, and any API key, may grant nothing.
//
// Refusals are *taxsms.Error with code EFORBIDDEN naming what was refused.
func CanGrant(granter *Actor, target taxsms.Role, officePath string, perms []Permission) error {
	if !target.Valid() {
		return taxsms.Invalid("role", "unknown role %q", target)
	}
	ceiling := roleTable[target].Ceiling
	for _, p := range perms {
		if !p.Valid() {
			return taxsms.Invalid("permissions", "unknown permission %q", p)
		}
		if !slices.Contains(ceiling, p) {
			return forbidden("permissions", "a user of role %s may not hold %q", target, p)
		}
	}
	if granter == nil {
		return nil
	}
	if granter.APIKeyID != 0 {
		return forbidden("permissions", "an API key may not grant permissions")
	}
	if !granter.Has(PermManageUsers) {
		return forbidden("permissions", "%s does not hold %q", granter, PermManageUsers)
	}
	switch granter.Role {
	case taxsms.RoleCityAdmin:
		return nil
	case taxsms.RoleBranchAdmin:
		if target != taxsms.RoleOperator {
			return forbidden("role", "a branch administrator may grant permissions only to operators, not to a %s", target)
		}
		if !ScopeSubtree(granter.OfficePath).Contains(officePath, 0) {
			return forbidden("office", "office %s is outside the subtree %s of %s", officePath, granter.OfficePath, granter)
		}
		for _, p := range perms {
			if !granter.Has(p) {
				return forbidden("permissions", "%s may not grant %q: it does not hold it", granter, p)
			}
		}
		return nil
	default:
		return forbidden("permissions", "a %s may not grant permissions", granter.Role)
	}
}

// forbidden returns an EFORBIDDEN error about field.
func forbidden(field, format string, args ...any) error {
	e := taxsms.Errorf(taxsms.EFORBIDDEN, format, args...)
	e.Field = field
	return e
}

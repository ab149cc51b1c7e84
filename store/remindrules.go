package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/calendar"
	"taxsms/remind"
)

// The reminder rules are city-wide settings: changing one changes what every
// taxpayer of the city receives. So writing them needs
// auth.PermManageSettings (city administrators), not PermManageTemplates,
// which branch administrators and operators hold for their own messages'
// templates. A rule not stored keeps the node's configuration.

// ReminderRules returns the stored reminder rules, by name; a rule never
// stored is absent (see remind.Planner.Settings).
func (db *DB) ReminderRules(ctx context.Context) ([]remind.Rule, error) {
	return db.reminderRules(ctx, db.db, db.q("SelectReminderRules"))
}

func (db *DB) reminderRules(ctx context.Context, q querier, query string, args ...any) ([]remind.Rule, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("reminder rules: %w", err)
	}
	defer rows.Close()
	var out []remind.Rule
	for rows.Next() {
		var r remind.Rule
		var name, roles, days string
		var enabled, sendAt, until int
		if err := rows.Scan(&name, &enabled, &r.Template.ZH, &r.Template.EN, &roles, &days, &sendAt, &until); err != nil {
			return nil, err
		}
		r.Name, r.Enabled, r.SendAt, r.Until = remind.RuleName(name), enabled != 0, calendar.Clock(sendAt), calendar.Clock(until)
		for _, s := range splitList(roles) {
			r.Roles = append(r.Roles, taxsms.ContactRole(s))
		}
		for _, s := range splitList(days) {
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("reminder rule %s: days %q", name, days)
			}
			r.Days = append(r.Days, n)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func ruleRecord(r *remind.Rule) map[string]any {
	roles := make([]string, len(r.Roles))
	for i, x := range r.Roles {
		roles[i] = string(x)
	}
	return map[string]any{"name": string(r.Name), "enabled": r.Enabled, "template_zh": r.Template.ZH, "template_en": r.Template.EN,
		"roles": roles, "days": r.Days, "send_at": r.SendAt.String(), "until": r.Until.String()}
}

// SetReminderRule stores r, replacing the stored rule of its name, and
// records audit.ConfigChanged (object reminder_rule/NAME) with the rule
// before (the stored one; none if the configuration's was in force) and
// after; saving a rule unchanged records nothing. It returns r.Validate's
// EINVALID error and EFORBIDDEN unless the actor holds
// auth.PermManageSettings.
func (db *DB) SetReminderRule(ctx context.Context, r remind.Rule) error {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermManageSettings); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	roles := make([]string, len(r.Roles))
	for i, x := range r.Roles {
		roles[i] = string(x)
	}
	days := make([]string, len(r.Days))
	for i, d := range r.Days {
		days[i] = strconv.Itoa(d)
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		before, err := db.deleteRule(ctx, tx, r.Name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("InsertReminderRule"), string(r.Name), boolInt(r.Enabled), r.Template.ZH, r.Template.EN,
			strings.Join(roles, ","), strings.Join(days, ","), int(r.SendAt), int(r.Until), ms(db.Now())); err != nil {
			return fmt.Errorf("insert reminder rule: %w", err)
		}
		return db.appendChange(ctx, tx, audit.ConfigChanged, audit.Object{Type: "reminder_rule", ID: string(r.Name)}, before, ruleRecord(&r), "reminder rule saved")
	})
}

// ResetReminderRule deletes the stored rule of name, so that the
// configuration's applies again, and records it. It returns ENOTFOUND if
// none is stored and EFORBIDDEN unless the actor holds
// auth.PermManageSettings.
func (db *DB) ResetReminderRule(ctx context.Context, name remind.RuleName) error {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermManageSettings); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		before, err := db.deleteRule(ctx, tx, name)
		if err != nil {
			return err
		}
		if before == nil {
			return taxsms.Errorf(taxsms.ENOTFOUND, "no stored reminder rule %s", name)
		}
		return db.appendChange(ctx, tx, audit.ConfigChanged, audit.Object{Type: "reminder_rule", ID: string(name)}, before, map[string]any{}, "reminder rule reset to the configuration")
	})
}

// deleteRule deletes the stored rule of name and returns its record, nil
// (untyped) if there was none.
func (db *DB) deleteRule(ctx context.Context, tx *sql.Tx, name remind.RuleName) (any, error) {
	old, err := db.reminderRules(ctx, tx, db.q("SelectReminderRule"), string(name))
	if err != nil {
		return nil, err
	}
	if len(old) == 0 {
		return nil, nil
	}
	if _, err := tx.ExecContext(ctx, db.q("DeleteReminderRule"), string(name)); err != nil {
		return nil, err
	}
	return ruleRecord(&old[0]), nil
}

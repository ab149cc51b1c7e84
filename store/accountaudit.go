package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"taxsms"

	"taxsms/audit"
	"taxsms/auth"
)

// The store records every administrative write in the audit archive in the
// transaction of the write itself, as done by ctx's actor (auth.FromContext;
// none is the system), from the actor's IP.

// auditActor returns the audit actor and the client address of ctx's actor.
func auditActor(ctx context.Context) (audit.Actor, string) {
	a, ok := auth.FromContext(ctx)
	switch {
	case !ok:
		return audit.System, ""
	case a.APIKeyID != 0:
		return audit.Key(strconv.FormatInt(a.APIKeyID, 10)), cleanIP(a.IP)
	default:
		login := a.Login
		if login == "" {
			login = "user" + strconv.FormatInt(a.UserID, 10)
		}
		return audit.User(a.UserID, maskNumbers(login), a.Role), cleanIP(a.IP)
	}
}

// entry returns an audit entry of action on obj by ctx's actor, with before
// and after as JSON (nil for none) and detail.
func (db *DB) entry(ctx context.Context, action audit.Action, obj audit.Object, before, after any, detail string) audit.Entry {
	actor, ip := auditActor(ctx)
	return audit.Entry{Actor: actor, IP: ip, Action: action, Object: obj, Before: toJSON(before), After: toJSON(after),
		Detail: maskNumbers(detail)}
}

// toJSON returns v as JSON, or nil for a nil v. The records put in are
// maps and slices of plain values, which always encode.
func toJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return json.RawMessage(maskNumbers(string(b)))
}

// maskNumbers masks, as taxsms.MaskMobile does, every run of digits in s
// that the archive would take for a mobile number (audit.Entry.Validate):
// eleven digits 1[3-9]…, or thirteen 861[3-9]…. Office codes such as
// 13702000000 look like one and are masked too; records name offices by id
// as well. Within JSON it touches only strings in practice: the records
// hold no such large numbers.
func maskNumbers(s string) string {
	var b []byte
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		run, at := s[i:j], i
		if len(run) == 13 && run[:2] == "86" {
			run, at = run[2:], i+2
		}
		if len(run) == 11 && run[0] == '1' && run[1] >= '3' {
			if b == nil {
				b = []byte(s)
			}
			copy(b[at+3:at+7], "****")
		}
		i = j
	}
	if b == nil {
		return s
	}
	return string(b)
}

// appendChange appends the record of an administrative change of obj by
// ctx's actor within tx, with the states before and after (nil: none). A
// change that changed nothing (equal states) is not recorded.
func (db *DB) appendChange(ctx context.Context, tx *sql.Tx, action audit.Action, obj audit.Object, before, after any, detail string) error {
	e := db.entry(ctx, action, obj, before, after, detail)
	if before != nil && after != nil && bytes.Equal(e.Before, e.After) {
		return nil
	}
	return db.appendAudit(ctx, tx, e)
}

func officeObject(id int64) audit.Object {
	return audit.Object{Type: "office", ID: strconv.FormatInt(id, 10)}
}

func taxpayerObject(id int64) audit.Object {
	return audit.Object{Type: "taxpayer", ID: strconv.FormatInt(id, 10)}
}

func contactObject(id int64) audit.Object {
	return audit.Object{Type: "contact", ID: strconv.FormatInt(id, 10)}
}

// officeRecord is an office as the audit archive shows it.
func officeRecord(o *taxsms.Office) map[string]any {
	return map[string]any{"id": o.ID, "parent_id": o.ParentID, "code": o.Code, "name": o.Name, "phone": o.Phone,
		"address": o.Address, "path": o.Path, "suspended": o.Suspended}
}

// taxpayerRecord is a taxpayer as the audit archive shows it.
func taxpayerRecord(t *taxsms.Taxpayer) map[string]any {
	return map[string]any{"id": t.ID, "identifier": t.Identifier, "id_type": t.IDType, "name": t.Name,
		"office_id": t.OfficeID, "admin_id": t.AdminID, "reg_status": t.RegStatus, "registered": t.Registered.String(),
		"changed": t.Changed.String(), "cancelled": t.Cancelled.String(), "industry": t.Industry,
		"tax_types": t.TaxTypes, "remote_filer": t.RemoteFiler}
}

// contactRecord is a contact as the audit archive shows it: the number masked.
func contactRecord(c *taxsms.Contact) map[string]any {
	r := map[string]any{"id": c.ID, "taxpayer_id": c.TaxpayerID, "role": c.Role, "name": c.Name,
		"mobile": taxsms.MaskMobile(c.Mobile), "status": c.Status, "status_channel": c.StatusChannel}
	if !c.StatusSince.IsZero() {
		r["status_since"] = c.StatusSince.UTC().Format(time.RFC3339)
	}
	return r
}

// appendImport appends the one record of a bulk import of what by ctx's
// actor, with its counts.
func (db *DB) appendImport(ctx context.Context, tx *sql.Tx, what string, n Upserted) error {
	return db.appendAudit(ctx, tx, db.entry(ctx, audit.Imported, audit.Object{Type: what}, nil, n,
		fmt.Sprintf("%s: %d inserted, %d updated, %d unchanged", what, n.Inserted, n.Updated, n.Unchanged)))
}

// cleanIP returns the address in s ("10.0.0.1", "[::1]:443",
// "10.0.0.1:5000"), or "" if s holds none: a request's RemoteAddr may be
// passed as it is.
func cleanIP(s string) string {
	if s == "" {
		return ""
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().String()
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String()
	}
	return ""
}

// typedLogin returns a login as typed at sign-in fit for the archive: itself
// if the archive takes it, else a placeholder (a number typed as a login
// must not be kept unmasked).
func typedLogin(login string) string {
	login = maskNumbers(login)
	e := audit.Entry{At: time.Unix(1, 0), Actor: audit.Actor{Kind: audit.ActorUser, Login: login}, Action: audit.SignInFailed}
	if login == "" || e.Validate() != nil {
		return "(unreadable login of " + strconv.Itoa(len(login)) + " bytes)"
	}
	return login
}

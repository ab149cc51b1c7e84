package web

import (
	"testing"

	"taxsms"
	"taxsms/auth"
)

// FuzzCursor checks that any cursor decodes to a key or an EINVALID error
// naming "cursor", and that a key decoded encodes back to the same key.
func FuzzCursor(f *testing.F) {
	for _, s := range []string{"", encodeCursor("taxpayers", "42"), encodeCursor("offices", "/1/5/"), encodeCursor("users", "-1"),
		"dGF4cGF5ZXJzOjA", "zzz", "=", encodeCursor("taxpayers", "9223372036854775808")} {
		f.Add("taxpayers", s)
	}
	f.Fuzz(func(t *testing.T, kind, c string) {
		key, err := decodeCursor(kind, c)
		if err != nil {
			if taxsms.ErrorCode(err) != taxsms.EINVALID || taxsms.ErrorField(err) != "cursor" {
				t.Fatalf("decodeCursor(%q) error %v, want invalid cursor", c, err)
			}
		} else if key != "" {
			if again, err := decodeCursor(kind, encodeCursor(kind, key)); err != nil || again != key {
				t.Fatalf("key %q: encoded and decoded = %q, %v", key, again, err)
			}
		}
		id, err := decodeIDCursor(kind, c)
		if err != nil {
			if taxsms.ErrorField(err) != "cursor" {
				t.Fatalf("decodeIDCursor(%q) error %v, want invalid cursor", c, err)
			}
		} else if id < 0 || id == 0 && c != "" {
			t.Fatalf("decodeIDCursor(%q) = %d", c, id)
		}
	})
}

// FuzzMessagesBody checks that any body of POST /api/v1/messages is
// refused with an EINVALID error or gives messages that are valid.
func FuzzMessagesBody(f *testing.F) {
	for _, s := range []string{
		`{"kind":"unpaid_tax","mobile":"+86 138 0013 8000","body":"【12366】您有未缴税款","idempotency_key":"unpaid/1"}`,
		`{"messages":[{"mobile":"13800138000","body":"ok"},{"mobile":"12345","body":"x"}]}`,
		`{"messages":[]}`, `{"mobile":"13800138000","body":"x","not_before":"2026-01-01T00:00:00Z","expires_at":"2025-01-01T00:00:00Z"}`,
		`{"mobile":"13800138000","body":"x","priority":-7}`, `[]`, `{"messages":null}`, `{} {}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := decodeMessages(b)
		if err != nil {
			if taxsms.ErrorCode(err) != taxsms.EINVALID {
				t.Fatalf("decodeMessages(%q) error %v, want invalid", b, err)
			}
			return
		}
		if len(in) == 0 || len(in) > MaxBatch {
			t.Fatalf("decodeMessages(%q) = %d messages", b, len(in))
		}
		for _, mi := range in {
			m, err := mi.message()
			if err != nil {
				if taxsms.ErrorCode(err) != taxsms.EINVALID {
					t.Fatalf("message(%+v) error %v, want invalid", mi, err)
				}
				continue
			}
			if m.Validate() != nil || m.Kind == taxsms.KindInteractive || m.Segments < 1 {
				t.Fatalf("message(%+v) = %+v, not valid", mi, m)
			}
		}
	})
}

// FuzzBodies checks the decoders of the other request bodies: any body is
// refused with an EINVALID error or gives a record whose validation
// answers with a user-facing error, never a panic or an internal error.
func FuzzBodies(f *testing.F) {
	for _, s := range []string{
		`{"identifier":"913702000000000012","name":"甲公司","registered_on":"2024-05-06","tax_types":["增值税"],"remote_filer":true}`,
		`{"registered_on":"2024/5/6","cancelled_on":"soon"}`, `{"role":"legal_rep","name":"张总","mobile":"13800138000","status":"active"}`,
		`{"mobile":"13800138000","channel":"self_service","at":"2026-01-05T09:00:00+08:00"}`, `{"code":"QD-A","name":"x","parent_id":1}`,
		`{"login":"a.b","name":"x","role":"operator","office_id":2,"mobile":"13800138000"}`,
		`{"name":"征管系统","office_id":2,"endpoints":["GET /api/v1/taxpayers","POST /api/v1/messages"]}`, `{"colour":"red"}`, `null`, `{"at":"2026-13-01T00:00:00Z"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		user := func(what string, err error) {
			t.Helper()
			if err != nil && taxsms.ErrorCode(err) == taxsms.EINTERNAL {
				t.Fatalf("%s of %q: internal error %v", what, b, err)
			}
		}
		var tp taxpayerIn
		if err := strictJSON(b, &tp); err == nil {
			var t1 taxsms.Taxpayer
			err := tp.apply(&t1)
			user("taxpayer", err)
			if err == nil {
				user("taxpayer", t1.Validate())
			}
		}
		var ci contactIn
		if err := strictJSON(b, &ci); err == nil {
			c := taxsms.Contact{TaxpayerID: 1, Role: taxsms.RoleFinance, Mobile: "13800138000"}
			set(&c.Name, ci.Name)
			set(&c.Mobile, ci.Mobile)
			user("contact", c.Validate())
		}
		var si serviceIn
		if err := strictJSON(b, &si); err == nil {
			for _, step := range []serviceChange{serviceActivate, serviceChangeNumber, serviceCancel} {
				c := taxsms.Contact{TaxpayerID: 1, Role: taxsms.RoleFinance, Mobile: "13800138000", Status: taxsms.ServicePending}
				err := si.apply(step, &c)
				user("service", err)
				if err == nil {
					if err := c.Validate(); err != nil {
						t.Fatalf("service step %d of %q gives an invalid contact: %v", step, b, err)
					}
				}
			}
		}
		var oi officeIn
		if err := strictJSON(b, &oi); err == nil {
			var o taxsms.Office
			oi.apply(&o)
			user("office", o.Validate())
		}
		var ui userIn
		if err := strictJSON(b, &ui); err == nil {
			var u taxsms.User
			ui.apply(&u)
			user("user", u.Validate())
		}
		var ki keyIn
		if err := strictJSON(b, &ki); err == nil {
			err := (&Server{}).checkEndpoints(ki.Endpoints)
			user("key", err)
			if err == nil {
				k := auth.APIKey{Name: ki.Name, OfficeID: 1, OfficePath: "/1/", Endpoints: ki.Endpoints}
				user("key", k.Validate())
			}
		}
	})
}

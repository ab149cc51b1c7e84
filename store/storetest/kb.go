package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/kb"
	"taxsms/store"
)

// testKB creates, changes, lists and deletes knowledge base entries, and
// upserts them as an import does: writes need manage_templates and the
// city's reach, each is audited with the entry before and after, and a
// failed upsert writes nothing.
func testKB(t *testing.T, db *store.DB) {
	ctx := context.Background()
	_, b1, _, _ := city(t, db)
	e := &kb.Entry{Question: " 印花税怎么申报？ ", Answer: "通过电子税务局财产和行为税合并申报。", Keywords: []string{"印花税", "合同"}, Category: "印花税", Enabled: true}
	must(t, db.CreateKBEntry(ctx, e))
	if e.ID == 0 || e.Updated.IsZero() {
		t.Fatalf("after create: %+v", e)
	}
	got, err := db.FindKBEntry(ctx, e.ID)
	must(t, err)
	if got.Question != "印花税怎么申报？" || got.Answer != e.Answer || strings.Join(got.Keywords, "|") != "印花税|合同" ||
		got.Category != "印花税" || !got.Enabled || !got.Updated.Equal(e.Updated) {
		t.Errorf("FindKBEntry = %+v, want %+v", got, e)
	}

	t.Run("ErrInvalid", func(t *testing.T) {
		wantCode(t, db.CreateKBEntry(ctx, &kb.Entry{Question: "x", Answer: strings.Repeat("长", kb.MaxAnswer+1)}), taxsms.EINVALID, "answer")
		wantCode(t, db.CreateKBEntry(ctx, &kb.Entry{Answer: "x"}), taxsms.EINVALID, "question")
	})
	t.Run("ErrDuplicate", func(t *testing.T) {
		wantCode(t, db.CreateKBEntry(ctx, &kb.Entry{Question: "印花税怎么申报？", Answer: "again"}), taxsms.ECONFLICT, "question")
		other := &kb.Entry{Question: "房产税什么时候交？", Answer: "按季。"}
		must(t, db.CreateKBEntry(ctx, other))
		other.Question = e.Question
		wantCode(t, db.UpdateKBEntry(ctx, other), taxsms.ECONFLICT, "question")
		must(t, db.DeleteKBEntry(ctx, other.ID))
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		branch := auth.NewContext(ctx, &auth.Actor{UserID: 90, Login: "shinan.admin", Role: taxsms.RoleBranchAdmin,
			OfficeID: b1.ID, OfficePath: b1.Path, Permissions: []auth.Permission{auth.PermManageTemplates}})
		cityNoPerm := auth.NewContext(ctx, &auth.Actor{UserID: 91, Login: "city.admin", Role: taxsms.RoleCityAdmin,
			OfficeID: 1, OfficePath: "/1/", Permissions: []auth.Permission{auth.PermManageUsers}})
		for _, c := range []context.Context{branch, cityNoPerm} {
			wantCode(t, db.CreateKBEntry(c, &kb.Entry{Question: "q", Answer: "a"}), taxsms.EFORBIDDEN, "")
			wantCode(t, db.UpdateKBEntry(c, e), taxsms.EFORBIDDEN, "")
			wantCode(t, db.DeleteKBEntry(c, e.ID), taxsms.EFORBIDDEN, "")
			_, err := db.UpsertKBEntries(c, seq(&kb.Entry{Question: "q", Answer: "a"}))
			wantCode(t, err, taxsms.EFORBIDDEN, "")
		}
		cityAdmin := auth.NewContext(ctx, &auth.Actor{UserID: 92, Login: "city.kb", Role: taxsms.RoleCityAdmin,
			OfficeID: 1, OfficePath: "/1/", Permissions: []auth.Permission{auth.PermManageTemplates}})
		e2 := &kb.Entry{Question: "城建税税率？", Answer: "市区7%。", Enabled: true}
		must(t, db.CreateKBEntry(cityAdmin, e2))
		must(t, db.DeleteKBEntry(cityAdmin, e2.ID))
	})
	t.Run("Update", func(t *testing.T) {
		e.Answer, e.Enabled = "按次或按期申报，通过电子税务局财产和行为税合并申报。", false
		must(t, db.UpdateKBEntry(ctx, e))
		must(t, db.UpdateKBEntry(ctx, e)) // unchanged: no audit record
		got, err := db.FindKBEntry(ctx, e.ID)
		must(t, err)
		if got.Answer != e.Answer || got.Enabled {
			t.Errorf("after update: %+v", got)
		}
		wantCode(t, db.UpdateKBEntry(ctx, &kb.Entry{ID: 9999, Question: "q", Answer: "a"}), taxsms.ENOTFOUND, "")
		wantCode(t, db.DeleteKBEntry(ctx, 9999), taxsms.ENOTFOUND, "")
		_, err = db.FindKBEntry(ctx, 9999)
		wantCode(t, err, taxsms.ENOTFOUND, "")
	})
	t.Run("Audit", func(t *testing.T) {
		recs, err := db.ListAudit(ctx, audit.Filter{Action: audit.ConfigChanged, ObjectType: "kb_entry", ObjectID: strconv.FormatInt(e.ID, 10)})
		must(t, err)
		if len(recs) != 2 {
			t.Fatalf("%d audit records of the entry, want 2 (created, changed once)", len(recs))
		}
		var before, after map[string]string
		must(t, json.Unmarshal(recs[0].Before, &before))
		must(t, json.Unmarshal(recs[0].After, &after))
		if before["enabled"] != "true" || after["enabled"] != "false" || after["answer"] != e.Answer || after["keywords"] != "印花税、合同" {
			t.Errorf("change recorded as %v -> %v", before, after)
		}
	})
	t.Run("Upsert", func(t *testing.T) {
		def := kb.Default()
		rows := make([]*kb.Entry, len(def))
		for i := range def {
			rows[i] = &def[i]
		}
		n, err := db.UpsertKBEntries(ctx, seq(rows...))
		must(t, err)
		if n != (store.Upserted{Inserted: len(def)}) {
			t.Errorf("UpsertKBEntries = %+v, want %d inserted", n, len(def))
		}
		def = kb.Default()
		def[3].Answer = "改过的答案。"
		def[4].Enabled = false
		rows = rows[:0]
		for i := range def {
			rows = append(rows, &def[i])
		}
		rows = append(rows, &kb.Entry{Question: e.Question, Answer: e.Answer, Keywords: e.Keywords, Category: e.Category})
		n, err = db.UpsertKBEntries(ctx, seq(rows...))
		must(t, err)
		if n != (store.Upserted{Updated: 2, Unchanged: len(def) - 2 + 1}) {
			t.Errorf("UpsertKBEntries again = %+v, want 2 updated", n)
		}
		all, err := db.KBEntries(ctx)
		must(t, err)
		if len(all) != len(def)+1 || all[0].ID != e.ID {
			t.Fatalf("KBEntries = %d entries, want %d by id", len(all), len(def)+1)
		}
		if all[4].Answer != "改过的答案。" || all[5].Enabled {
			t.Errorf("upserted entries: %+v, %+v", all[4], all[5])
		}
		if ix := kb.NewIndex(all, kb.Options{}); ix.Len() != len(def)-1 {
			t.Errorf("index of the stored entries has %d, want %d enabled", ix.Len(), len(def)-1)
		}
	})
	t.Run("UpsertRollback", func(t *testing.T) {
		before, err := db.KBEntries(ctx)
		must(t, err)
		boom := errors.New("file truncated")
		rows := func(yield func(*kb.Entry, error) bool) {
			if !yield(&kb.Entry{Question: "新问题一？", Answer: "答一"}, nil) {
				return
			}
			yield(nil, boom)
		}
		if _, err := db.UpsertKBEntries(ctx, rows); !errors.Is(err, boom) {
			t.Fatalf("UpsertKBEntries = %v, want %v", err, boom)
		}
		_, err = db.UpsertKBEntries(ctx, seq(&kb.Entry{Question: "新问题二？", Answer: "答二"}, &kb.Entry{Question: "新问题三？"}))
		wantCode(t, err, taxsms.EINVALID, "answer")
		_, err = db.UpsertKBEntries(ctx, seq(&kb.Entry{Question: "新问题四？", Answer: "答"}, &kb.Entry{Question: " 新问题四？", Answer: "答"}))
		wantCode(t, err, taxsms.ECONFLICT, "question")
		after, err := db.KBEntries(ctx)
		must(t, err)
		if len(after) != len(before) {
			t.Errorf("%d entries after failed upserts, want %d: a failed transaction left rows behind", len(after), len(before))
		}
	})
}

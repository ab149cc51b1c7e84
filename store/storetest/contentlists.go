package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/content"
	"taxsms/store"
)

// testContentLists saves, reads and resets the content check's lists: a
// list that does not parse is refused naming its line and nothing changes;
// only a city administrator with edit_word_lists may save; each save is
// audited with the lines removed and added; the version changes with each
// save.
func testContentLists(t *testing.T, db *store.DB) {
	ctx := context.Background()
	_, b1, _, _ := city(t, db)
	cityAdmin := auth.NewContext(ctx, &auth.Actor{UserID: 7, Login: "city.words", Role: taxsms.RoleCityAdmin,
		OfficeID: 1, OfficePath: "/1/", Permissions: []auth.Permission{auth.PermEditWordLists}})

	got, err := db.ContentLists(ctx)
	must(t, err)
	if got.Lists != content.DefaultLists() || len(got.Edited) != 0 {
		t.Fatalf("fresh store: lists differ from the embedded ones or edited %v", got.Edited)
	}
	v0, err := db.ContentListsVersion(ctx)
	must(t, err)

	words := "obscenity_gambling_violence 赌博\nother_illegal 代开发票\n"
	saved, err := db.SetContentList(cityAdmin, content.ListWords, words)
	must(t, err)
	if saved.Words != words || saved.Edited[content.ListWords].UserID != 7 || saved.Edited[content.ListWords].At.IsZero() {
		t.Errorf("SetContentList returned words %q, edited %+v", saved.Words, saved.Edited)
	}
	got, err = db.ContentLists(ctx)
	must(t, err)
	if got.Words != words || got.Vocabulary != content.DefaultLists().Vocabulary {
		t.Errorf("after save: words %q", got.Words)
	}
	c, err := got.Checker()
	must(t, err)
	if r := c.Check("可代开发票，请致电。增值税申报"); r.Clean() || r.Flags[0].Term != "代开发票" {
		t.Errorf("checker of the saved lists: %v", r)
	}
	v1, err := db.ContentListsVersion(ctx)
	must(t, err)
	if v1 == v0 {
		t.Errorf("version %q unchanged by a save", v1)
	}

	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := db.SetContentList(cityAdmin, content.ListWords, "obscenity_gambling_violence 赌博\nnot_a_category 词\n")
		wantCode(t, err, taxsms.EINVALID, "words")
		if !strings.Contains(taxsms.ErrorMessage(err), "line 2") {
			t.Errorf("error %q does not name line 2", taxsms.ErrorMessage(err))
		}
		_, err = db.SetContentList(cityAdmin, content.ListAllow, "host not a host\n")
		wantCode(t, err, taxsms.EINVALID, "allow")
		_, err = db.SetContentList(cityAdmin, content.ListVocabulary, "# only a comment\n")
		wantCode(t, err, taxsms.EINVALID, "vocabulary")
		_, err = db.SetContentList(cityAdmin, "colours", "red")
		wantCode(t, err, taxsms.EINVALID, "list")
		got, err := db.ContentLists(ctx)
		must(t, err)
		if got.Words != words || got.Allow != content.DefaultLists().Allow {
			t.Errorf("a refused save changed the lists")
		}
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		branch := auth.NewContext(ctx, &auth.Actor{UserID: 90, Login: "shinan.admin", Role: taxsms.RoleBranchAdmin,
			OfficeID: b1.ID, OfficePath: b1.Path, Permissions: []auth.Permission{auth.PermEditWordLists}})
		cityNoPerm := auth.NewContext(ctx, &auth.Actor{UserID: 91, Login: "city.admin", Role: taxsms.RoleCityAdmin,
			OfficeID: 1, OfficePath: "/1/", Permissions: []auth.Permission{auth.PermManageTemplates}})
		for _, c := range []context.Context{branch, cityNoPerm} {
			_, err := db.SetContentList(c, content.ListWords, "rumours 谣言")
			wantCode(t, err, taxsms.EFORBIDDEN, "")
		}
	})
	t.Run("Audit", func(t *testing.T) {
		_, err := db.SetContentList(cityAdmin, content.ListWords, "obscenity_gambling_violence 赌博\nrumours 谣言\n")
		must(t, err)
		recs, err := db.ListAudit(ctx, audit.Filter{Action: audit.ConfigChanged, ObjectType: "content_list", ObjectID: "words"})
		must(t, err)
		if len(recs) != 2 {
			t.Fatalf("%d audit records of the word list, want 2", len(recs))
		}
		var before, after struct{ Removed, Added []string }
		must(t, json.Unmarshal(recs[0].Before, &before))
		must(t, json.Unmarshal(recs[0].After, &after))
		if !slices.Equal(before.Removed, []string{"other_illegal 代开发票"}) || !slices.Equal(after.Added, []string{"rumours 谣言"}) {
			t.Errorf("last change recorded as removed %q, added %q", before.Removed, after.Added)
		}
	})
	t.Run("Reset", func(t *testing.T) {
		got, err := db.SetContentList(cityAdmin, content.ListWords, "")
		must(t, err)
		if got.Words != content.DefaultLists().Words || len(got.Edited) != 0 {
			t.Errorf("after reset: edited %v", got.Edited)
		}
		stored, err := db.ContentLists(ctx)
		must(t, err)
		if stored.Lists != content.DefaultLists() {
			t.Errorf("after reset the stored lists are not the embedded ones")
		}
		v, err := db.ContentListsVersion(ctx)
		must(t, err)
		if v == v1 {
			t.Errorf("version unchanged by a reset")
		}
	})
}

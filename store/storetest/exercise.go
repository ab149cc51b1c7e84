package storetest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"
	"time"

	"taxsms"
	"taxsms/pii"
	"taxsms/store"
)

// Exercise runs the conformance suite on the engine ("sqlite" or "postgres").
func Exercise(t *testing.T, engine string) {
	open := func(t testing.TB) *store.DB { return Open(t, engine) }
	t.Run("Office", func(t *testing.T) { testOffice(t, open(t)) })
	t.Run("User", func(t *testing.T) { testUser(t, open(t)) })
	t.Run("Taxpayer", func(t *testing.T) { testTaxpayer(t, open(t)) })
	t.Run("TaxpayerSearch", func(t *testing.T) { testTaxpayerSearch(t, open(t)) })
	t.Run("Contact", func(t *testing.T) { testContact(t, open(t)) })
	t.Run("Message", func(t *testing.T) { testMessage(t, open(t)) })
	t.Run("Upsert", func(t *testing.T) { testUpsert(t, open(t)) })
	t.Run("UpsertRollback", func(t *testing.T) { testUpsertRollback(t, open(t)) })
	t.Run("UpsertMany", func(t *testing.T) { testUpsertMany(t, open(t)) })
	t.Run("Outbox", func(t *testing.T) { testOutbox(t, open(t)) })
	t.Run("MO", func(t *testing.T) { testMO(t, open(t)) })
	t.Run("ClaimConcurrent", func(t *testing.T) { testClaimConcurrent(t, open(t)) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, engine) })
	t.Run("Slots", func(t *testing.T) { testSlots(t, open(t)); testSlotsConcurrent(t, open(t)); testLock(t, engine) })
	t.Run("Reseal", func(t *testing.T) { testReseal(t, DSN(t, engine, "sqlite:"+t.TempDir()+"/reseal.db")) })
	t.Run("TaxData", func(t *testing.T) { testTaxData(t, open) })
	t.Run("Calendar", func(t *testing.T) { testCalendar(t, open) })
	t.Run("Retention", func(t *testing.T) { testRetention(t, open(t)) })
	t.Run("OfficeHours", func(t *testing.T) { testOfficeHours(t, open(t)) })
	t.Run("KB", func(t *testing.T) { testKB(t, open(t)) })
	t.Run("Invoice", func(t *testing.T) { testInvoice(t, open(t)) })
	t.Run("SelfService", func(t *testing.T) { testSelfService(t, open(t)) })
	t.Run("Ticket", func(t *testing.T) { testTicket(t, open(t)); testTicketNumbers(t, open(t)) })
	t.Run("ContentLists", func(t *testing.T) { testContentLists(t, open(t)) })
	t.Run("Campaign", func(t *testing.T) { testCampaign(t, open(t)) })
	t.Run("CampaignCount", func(t *testing.T) { testCampaignCount(t, open(t)) })
	t.Run("Billing", func(t *testing.T) { exerciseBilling(t, engine, open) })
	t.Run("Reports", func(t *testing.T) { testReports(t, open) })
}

// wantCode fails the test unless err has the code (and, if given, names the field).
func wantCode(t testing.TB, err error, code, field string) {
	t.Helper()
	if got := taxsms.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
	if field != "" && taxsms.ErrorField(err) != field {
		t.Fatalf("error field = %q (%v), want %q", taxsms.ErrorField(err), err, field)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// city creates a root office, two branches and an operator in the first.
func city(t testing.TB, db *store.DB) (root, b1, b2 *taxsms.Office, op *taxsms.User) {
	t.Helper()
	ctx := context.Background()
	root = &taxsms.Office{Code: "13702000000", Name: "青岛市税务局", Phone: "0532-12366"}
	must(t, db.CreateOffice(ctx, root))
	b1 = &taxsms.Office{ParentID: root.ID, Code: "13702020000", Name: "市南区税务局"}
	must(t, db.CreateOffice(ctx, b1))
	b2 = &taxsms.Office{ParentID: root.ID, Code: "13702030000", Name: "市北区税务局"}
	must(t, db.CreateOffice(ctx, b2))
	op = &taxsms.User{Login: "shinan.op1", Name: "王芳", OfficeID: b1.ID, Role: taxsms.RoleOperator, Mobile: "13912345678"}
	must(t, db.CreateUser(ctx, op))
	return
}

func testOffice(t *testing.T, db *store.DB) {
	ctx := context.Background()
	root, b1, b2, _ := city(t, db)
	if want := fmt.Sprintf("/%d/%d/", root.ID, b1.ID); b1.Path != want {
		t.Errorf("Path = %q, want %q", b1.Path, want)
	}
	sub := &taxsms.Office{ParentID: b1.ID, Code: "13702020100", Name: "八大关税务所"}
	must(t, db.CreateOffice(ctx, sub))

	got, err := db.FindOfficeByCode(ctx, "13702020100")
	must(t, err)
	if got.ID != sub.ID || got.Name != "八大关税务所" || got.ParentID != b1.ID || got.Path != sub.Path {
		t.Errorf("FindOfficeByCode = %+v, want %+v", got, sub)
	}
	list, err := db.ListOffices(ctx, taxsms.OfficeFilter{Subtree: b1.ID})
	must(t, err)
	if len(list) != 2 || list[0].ID != b1.ID || list[1].ID != sub.ID {
		t.Errorf("ListOffices(subtree b1) = %d offices, want b1 and its sub-office", len(list))
	}
	all, err := db.ListOffices(ctx, taxsms.OfficeFilter{})
	must(t, err)
	if len(all) != 4 {
		t.Errorf("ListOffices() = %d offices, want 4", len(all))
	}

	t.Run("ErrDuplicate", func(t *testing.T) {
		err := db.CreateOffice(ctx, &taxsms.Office{ParentID: root.ID, Code: b2.Code, Name: "again"})
		wantCode(t, err, taxsms.ECONFLICT, "")
	})
	t.Run("ErrParent", func(t *testing.T) {
		err := db.CreateOffice(ctx, &taxsms.Office{ParentID: 9999, Code: "X1", Name: "orphan"})
		wantCode(t, err, taxsms.EINVALID, "parent")
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		err := db.CreateOffice(ctx, &taxsms.Office{Code: "bad code", Name: "x"})
		wantCode(t, err, taxsms.EINVALID, "code")
		err = db.CreateOffice(ctx, &taxsms.Office{Code: "ok", Name: "x", Phone: "call me"})
		wantCode(t, err, taxsms.EINVALID, "phone")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := db.FindOffice(ctx, 9999)
		wantCode(t, err, taxsms.ENOTFOUND, "")
		err = db.UpdateOffice(ctx, &taxsms.Office{ID: 9999, Code: "X", Name: "x"})
		wantCode(t, err, taxsms.ENOTFOUND, "")
	})
	t.Run("Update", func(t *testing.T) {
		b2.Name, b2.Suspended = "市北区税务局（新）", true
		must(t, db.UpdateOffice(ctx, b2))
		got, err := db.FindOffice(ctx, b2.ID)
		must(t, err)
		if got.Name != b2.Name || !got.Suspended {
			t.Errorf("after update: %+v", got)
		}
	})
}

func testUser(t *testing.T, db *store.DB) {
	ctx := context.Background()
	root, b1, _, op := city(t, db)
	got, err := db.FindUserByLogin(ctx, "shinan.op1")
	must(t, err)
	if got.ID != op.ID || got.Mobile != "13912345678" || got.Role != taxsms.RoleOperator || got.Status != taxsms.UserActive {
		t.Errorf("FindUserByLogin = %+v", got)
	}
	admin := &taxsms.User{Login: "admin", Name: "李强", OfficeID: root.ID, Role: taxsms.RoleCityAdmin}
	must(t, db.CreateUser(ctx, admin))
	inB1, err := db.ListUsers(ctx, taxsms.UserFilter{Subtree: b1.ID})
	must(t, err)
	if len(inB1) != 1 || inB1[0].ID != op.ID {
		t.Errorf("ListUsers(subtree b1) = %d users, want the operator only", len(inB1))
	}
	t.Run("ErrDuplicate", func(t *testing.T) {
		wantCode(t, db.CreateUser(ctx, &taxsms.User{Login: "admin", Name: "x", OfficeID: root.ID, Role: taxsms.RoleAuditor}), taxsms.ECONFLICT, "")
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		wantCode(t, db.CreateUser(ctx, &taxsms.User{Login: "x", Name: "x", OfficeID: root.ID, Role: "boss"}), taxsms.EINVALID, "role")
		wantCode(t, db.CreateUser(ctx, &taxsms.User{Login: "x", Name: "x", OfficeID: 9999, Role: taxsms.RoleOperator}), taxsms.EINVALID, "office")
		wantCode(t, db.CreateUser(ctx, &taxsms.User{Login: "x", Name: "x", OfficeID: root.ID, Role: taxsms.RoleOperator, Mobile: "123"}), taxsms.EINVALID, "mobile")
	})
	t.Run("Update", func(t *testing.T) {
		op.Status, op.Mobile = taxsms.UserSuspended, ""
		must(t, db.UpdateUser(ctx, op))
		got, err := db.FindUser(ctx, op.ID)
		must(t, err)
		if got.Status != taxsms.UserSuspended || got.Mobile != "" {
			t.Errorf("after update: %+v", got)
		}
		_, err = db.FindUser(ctx, 9999)
		wantCode(t, err, taxsms.ENOTFOUND, "")
	})
}

func newTaxpayer(officeID, adminID int64, n int) *taxsms.Taxpayer {
	// A valid credit code: 17 characters and their check character.
	first := fmt.Sprintf("91370202MA%07d", n)
	return &taxsms.Taxpayer{
		Identifier: first + string(taxsms.USCCCheck(first)),
		Name:       fmt.Sprintf("青岛海纳%03d贸易有限公司", n),
		OfficeID:   officeID, AdminID: adminID,
		Registered: taxsms.Date{Year: 2024, Month: 3, Day: 1},
		Industry:   "批发业", TaxTypes: []string{"增值税", "企业所得税"},
	}
}

func testTaxpayer(t *testing.T, db *store.DB) {
	ctx := context.Background()
	_, b1, _, op := city(t, db)
	tp := newTaxpayer(b1.ID, op.ID, 1)
	tp.RemoteFiler = true
	must(t, db.CreateTaxpayer(ctx, tp))
	got, err := db.FindTaxpayerByIdentifier(ctx, " "+tp.Identifier+" ")
	must(t, err)
	if got.ID != tp.ID || got.IDType != taxsms.IDUSCC || got.AdminID != op.ID || got.Registered != tp.Registered ||
		len(got.TaxTypes) != 2 || got.TaxTypes[1] != "企业所得税" || !got.RemoteFiler || got.RegStatus != taxsms.RegRegistered {
		t.Errorf("FindTaxpayerByIdentifier = %+v", got)
	}
	t.Run("ErrDuplicate", func(t *testing.T) {
		wantCode(t, db.CreateTaxpayer(ctx, newTaxpayer(b1.ID, op.ID, 1)), taxsms.ECONFLICT, "")
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		bad := newTaxpayer(b1.ID, op.ID, 2)
		bad.Identifier = bad.Identifier[:17] + "0"
		if bad.Identifier == newTaxpayer(b1.ID, op.ID, 2).Identifier {
			bad.Identifier = bad.Identifier[:17] + "1"
		}
		err := db.CreateTaxpayer(ctx, bad)
		wantCode(t, err, taxsms.EINVALID, "identifier")
		bad = newTaxpayer(b1.ID, op.ID, 3)
		bad.RegStatus = taxsms.RegCancelled
		wantCode(t, db.CreateTaxpayer(ctx, bad), taxsms.EINVALID, "cancelled_on")
		wantCode(t, db.CreateTaxpayer(ctx, newTaxpayer(9999, 0, 4)), taxsms.EINVALID, "office")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := db.FindTaxpayer(ctx, 9999)
		wantCode(t, err, taxsms.ENOTFOUND, "")
	})
	t.Run("Update", func(t *testing.T) {
		tp.RegStatus, tp.Cancelled = taxsms.RegCancelled, taxsms.Date{Year: 2026, Month: 1, Day: 5}
		must(t, db.UpdateTaxpayer(ctx, tp))
		got, err := db.FindTaxpayer(ctx, tp.ID)
		must(t, err)
		if got.RegStatus != taxsms.RegCancelled || got.Cancelled != tp.Cancelled {
			t.Errorf("after update: %+v", got)
		}
	})
}

func testTaxpayerSearch(t *testing.T, db *store.DB) {
	ctx := context.Background()
	_, b1, b2, op := city(t, db)
	var ids []int64
	for i := 1; i <= 30; i++ {
		office, admin := b1.ID, op.ID
		if i > 20 {
			office, admin = b2.ID, 0
		}
		tp := newTaxpayer(office, admin, i)
		if i == 7 {
			tp.Name = "崂山100%_矿泉水有限公司"
		}
		must(t, db.CreateTaxpayer(ctx, tp))
		ids = append(ids, tp.ID)
	}
	must(t, db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: ids[4], Role: taxsms.RoleLegalRep, Mobile: "13800000005"}))
	must(t, db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: ids[9], Role: taxsms.RoleFinance, Mobile: "13800000005"}))
	for _, tt := range []struct {
		name string
		f    taxsms.TaxpayerFilter
		want int
	}{
		{"All", taxsms.TaxpayerFilter{Limit: 100}, 30},
		{"Subtree", taxsms.TaxpayerFilter{Subtree: b2.ID}, 10},
		{"Admin", taxsms.TaxpayerFilter{AdminID: op.ID}, 20},
		{"NamePrefix", taxsms.TaxpayerFilter{NamePrefix: "青岛海纳01"}, 10},
		{"NameContains", taxsms.TaxpayerFilter{NameContains: "纳02"}, 10},
		{"NameContainsWildcards", taxsms.TaxpayerFilter{NameContains: "100%_"}, 1},
		{"NameContainsNoWildcard", taxsms.TaxpayerFilter{NameContains: "%"}, 1},
		{"Identifier", taxsms.TaxpayerFilter{Identifier: newTaxpayer(0, 0, 3).Identifier}, 1},
		{"Mobile", taxsms.TaxpayerFilter{Mobile: "+86 138 0000 0005"}, 2},
		{"Combined", taxsms.TaxpayerFilter{Subtree: b1.ID, NameContains: "纳02"}, 1},
		{"Page", taxsms.TaxpayerFilter{After: ids[24]}, 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.ListTaxpayers(ctx, tt.f)
			must(t, err)
			if len(got) != tt.want {
				t.Errorf("ListTaxpayers(%+v) = %d rows, want %d", tt.f, len(got), tt.want)
			}
		})
	}
	page, err := db.ListTaxpayers(ctx, taxsms.TaxpayerFilter{Limit: 7})
	must(t, err)
	next, err := db.ListTaxpayers(ctx, taxsms.TaxpayerFilter{Limit: 7, After: page[6].ID})
	must(t, err)
	if len(page) != 7 || next[0].ID <= page[6].ID {
		t.Errorf("paging: second page starts at %d after %d", next[0].ID, page[6].ID)
	}
	_, err = db.ListTaxpayers(ctx, taxsms.TaxpayerFilter{Mobile: "12345"})
	wantCode(t, err, taxsms.EINVALID, "mobile")
}

func testContact(t *testing.T, db *store.DB) {
	ctx := context.Background()
	_, b1, _, op := city(t, db)
	tp := newTaxpayer(b1.ID, op.ID, 1)
	must(t, db.CreateTaxpayer(ctx, tp))
	c := &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleLegalRep, Name: "张伟", Mobile: "+86 186-1234-5678",
		Status: taxsms.ServiceActive, StatusChannel: taxsms.ChannelWindow}
	must(t, db.CreateContact(ctx, c))
	got, err := db.FindContact(ctx, c.ID)
	must(t, err)
	if got.Mobile != "18612345678" || got.Status != taxsms.ServiceActive || got.Name != "张伟" {
		t.Errorf("FindContact = %+v", got)
	}
	byMobile, err := db.FindContactsByMobile(ctx, "18612345678")
	must(t, err)
	if len(byMobile) != 1 || byMobile[0].ID != c.ID {
		t.Errorf("FindContactsByMobile = %d contacts, want 1", len(byMobile))
	}
	t.Run("ErrDuplicateRole", func(t *testing.T) {
		err := db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleLegalRep, Mobile: "13912345678"})
		wantCode(t, err, taxsms.ECONFLICT, "")
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		wantCode(t, db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleFinance, Mobile: "1891234567"}), taxsms.EINVALID, "mobile")
		wantCode(t, db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: tp.ID, Role: "boss", Mobile: "18912345678"}), taxsms.EINVALID, "role")
		wantCode(t, db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: 9999, Role: taxsms.RoleFinance, Mobile: "18912345678"}), taxsms.EINVALID, "taxpayer")
	})
	t.Run("Events", func(t *testing.T) {
		c.Mobile, c.StatusChannel = "18912345678", taxsms.ChannelSelf
		must(t, db.UpdateContact(ctx, c))
		c.Status, c.StatusChannel = taxsms.ServiceOptedOut, taxsms.ChannelSelf
		must(t, db.UpdateContact(ctx, c))
		c.Name = "张伟明" // not a service change: no event
		must(t, db.UpdateContact(ctx, c))
		events, err := db.ContactEvents(ctx, c.ID)
		must(t, err)
		want := []taxsms.ContactEvent{
			{Status: taxsms.ServiceActive, Channel: taxsms.ChannelWindow, Mobile: "186****5678"},
			{Status: taxsms.ServiceActive, Channel: taxsms.ChannelSelf, Mobile: "189****5678"},
			{Status: taxsms.ServiceOptedOut, Channel: taxsms.ChannelSelf, Mobile: "189****5678"},
		}
		if len(events) != len(want) {
			t.Fatalf("ContactEvents = %d events, want %d", len(events), len(want))
		}
		for i := range want {
			e := events[i]
			if e.Status != want[i].Status || e.Channel != want[i].Channel || e.Mobile != want[i].Mobile || e.At.IsZero() {
				t.Errorf("event %d = %+v, want %+v", i, e, want[i])
			}
		}
		got, err := db.FindContact(ctx, c.ID)
		must(t, err)
		if got.Name != "张伟明" || got.Status != taxsms.ServiceOptedOut || got.Mobile != "18912345678" {
			t.Errorf("after updates: %+v", got)
		}
		wantCode(t, db.UpdateContact(ctx, &taxsms.Contact{ID: 9999, TaxpayerID: tp.ID, Role: taxsms.RoleFinance, Mobile: "18912345678"}), taxsms.ENOTFOUND, "")
	})
}

func testMessage(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	_, b1, _, op := city(t, db)
	tp := newTaxpayer(b1.ID, op.ID, 1)
	must(t, db.CreateTaxpayer(ctx, tp))
	m := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindFilingReminder, Priority: taxsms.PriorityReminder,
		Mobile: "13812345678", TaxpayerID: tp.ID, OfficeID: b1.ID, Body: "【青岛税务】尊敬的纳税人，本月申报期限为12月15日。",
		Coding: taxsms.CodingUCS2, Segments: 2, IdempotencyKey: "filing_reminder/1/1/2026-11"}
	must(t, db.CreateMessage(ctx, m))
	got, err := db.FindMessage(ctx, m.ID)
	must(t, err)
	if got.Mobile != "13812345678" || got.Status != taxsms.StatusQueued || len(got.Timeline) != 1 ||
		len(got.Parts) != 0 || got.IdempotencyKey != m.IdempotencyKey || !got.CreatedAt.Equal(now) {
		t.Errorf("FindMessage = %+v", got)
	}
	t.Run("ErrIdempotency", func(t *testing.T) {
		again := *m
		again.ID = 0
		err := db.CreateMessage(ctx, &again)
		wantCode(t, err, taxsms.ECONFLICT, "")
		if again.ID != m.ID {
			t.Errorf("ID after repeated key = %d, want %d", again.ID, m.ID)
		}
		c, err := db.Count(ctx)
		must(t, err)
		if c.Messages != 1 {
			t.Errorf("messages = %d, want 1", c.Messages)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		wantCode(t, db.CreateMessage(ctx, &taxsms.Message{Direction: taxsms.MT, Kind: "spam", Mobile: "13812345678", Body: "x", Segments: 1}), taxsms.EINVALID, "kind")
		wantCode(t, db.CreateMessage(ctx, &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindOther, Mobile: "13812345678", Segments: 1}), taxsms.EINVALID, "body")
		wantCode(t, db.CreateMessage(ctx, &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindOther, Mobile: "13812345678", Body: "x", Segments: 1, TaxpayerID: 9999}), taxsms.EINVALID, "")
	})
	mo := &taxsms.Message{Direction: taxsms.MO, Mobile: "13812345678", Body: "CX", Segments: 1}
	must(t, db.CreateMessage(ctx, mo))
	list, err := db.ListMessages(ctx, taxsms.MessageFilter{Mobile: "138 1234 5678"})
	must(t, err)
	if len(list) != 2 || list[0].ID != mo.ID || list[0].Status != taxsms.StatusReceived {
		t.Errorf("ListMessages(mobile) = %d, want 2 newest first", len(list))
	}
	list, err = db.ListMessages(ctx, taxsms.MessageFilter{Subtree: b1.ID, Direction: taxsms.MT})
	must(t, err)
	if len(list) != 1 || list[0].ID != m.ID {
		t.Errorf("ListMessages(subtree, mt) = %d, want 1", len(list))
	}
}

func seq[T any](items ...T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
	}
}

func testUpsert(t *testing.T, db *store.DB) {
	ctx := context.Background()
	n, err := db.UpsertOffices(ctx, []store.OfficeRow{
		{Office: taxsms.Office{Code: "R", Name: "市局"}},
		{Office: taxsms.Office{Code: "B1", Name: "一分局"}, ParentCode: "R"},
	})
	must(t, err)
	if n != (store.Upserted{Inserted: 2}) {
		t.Errorf("UpsertOffices = %+v, want 2 inserted", n)
	}
	n, err = db.UpsertOffices(ctx, []store.OfficeRow{
		{Office: taxsms.Office{Code: "R", Name: "市局"}},
		{Office: taxsms.Office{Code: "B1", Name: "第一分局"}, ParentCode: "R"},
	})
	must(t, err)
	if n != (store.Upserted{Updated: 1, Unchanged: 1}) {
		t.Errorf("UpsertOffices again = %+v, want 1 updated 1 unchanged", n)
	}
	codes, err := db.OfficeCodes(ctx)
	must(t, err)
	_, err = db.UpsertUsers(ctx, seq(&taxsms.User{Login: "op", Name: "操作员", OfficeID: codes["B1"], Role: taxsms.RoleOperator}))
	must(t, err)
	logins, err := db.UserLogins(ctx)
	must(t, err)

	tps := func(name string) []*taxsms.Taxpayer {
		var out []*taxsms.Taxpayer
		for i := 1; i <= 5; i++ {
			out = append(out, newTaxpayer(codes["B1"], logins["op"], i))
		}
		out[2].Name = name
		return out
	}
	n, err = db.UpsertTaxpayers(ctx, seq(tps("甲")...))
	must(t, err)
	if n != (store.Upserted{Inserted: 5}) {
		t.Errorf("UpsertTaxpayers = %+v, want 5 inserted", n)
	}
	n, err = db.UpsertTaxpayers(ctx, seq(tps("甲")...))
	must(t, err)
	if n != (store.Upserted{Unchanged: 5}) {
		t.Errorf("UpsertTaxpayers same rows = %+v, want 5 unchanged", n)
	}
	n, err = db.UpsertTaxpayers(ctx, seq(tps("乙")...))
	must(t, err)
	if n != (store.Upserted{Updated: 1, Unchanged: 4}) {
		t.Errorf("UpsertTaxpayers one changed = %+v, want 1 updated", n)
	}
	ids, err := db.TaxpayerIdentifiers(ctx)
	must(t, err)
	tpID := ids[newTaxpayer(0, 0, 1).Identifier]
	contacts := func(mobile string, status taxsms.ServiceStatus) []*taxsms.Contact {
		return []*taxsms.Contact{
			{TaxpayerID: tpID, Role: taxsms.RoleLegalRep, Name: "甲", Mobile: "13800000001", Status: taxsms.ServiceActive, StatusChannel: taxsms.ChannelImport},
			{TaxpayerID: tpID, Role: taxsms.RoleFinance, Name: "乙", Mobile: mobile, Status: status, StatusChannel: taxsms.ChannelImport},
		}
	}
	n, err = db.UpsertContacts(ctx, seq(contacts("13800000002", taxsms.ServiceActive)...))
	must(t, err)
	if n != (store.Upserted{Inserted: 2}) {
		t.Errorf("UpsertContacts = %+v, want 2 inserted", n)
	}
	n, err = db.UpsertContacts(ctx, seq(contacts("13800000002", taxsms.ServiceActive)...))
	must(t, err)
	if n != (store.Upserted{Unchanged: 2}) {
		t.Errorf("UpsertContacts same = %+v, want 2 unchanged", n)
	}
	n, err = db.UpsertContacts(ctx, seq(contacts("13800000003", taxsms.ServiceActive)...))
	must(t, err)
	if n != (store.Upserted{Updated: 1, Unchanged: 1}) {
		t.Errorf("UpsertContacts new number = %+v, want 1 updated", n)
	}
	cs, err := db.ListContacts(ctx, tpID)
	must(t, err)
	events, err := db.ContactEvents(ctx, cs[1].ID)
	must(t, err)
	if len(events) != 2 || events[0].Mobile != "138****0002" || events[1].Mobile != "138****0003" || events[1].Channel != taxsms.ChannelImport {
		t.Errorf("events after number change = %+v", events)
	}

	// The contact opts out by SMS; re-importing the old file does not opt them back in.
	cs[1].Status, cs[1].StatusChannel = taxsms.ServiceOptedOut, taxsms.ChannelSelf
	must(t, db.UpdateContact(ctx, cs[1]))
	n, err = db.UpsertContacts(ctx, seq(contacts("13800000003", taxsms.ServiceActive)...))
	must(t, err)
	if n != (store.Upserted{Unchanged: 2}) {
		t.Errorf("UpsertContacts over an opted-out contact = %+v, want 2 unchanged", n)
	}
	got, err := db.FindContact(ctx, cs[1].ID)
	must(t, err)
	if got.Status != taxsms.ServiceOptedOut {
		t.Errorf("status after re-import = %s, want opted_out", got.Status)
	}
}

func testUpsertRollback(t *testing.T, db *store.DB) {
	ctx := context.Background()
	_, b1, _, op := city(t, db)
	boom := errors.New("file truncated")
	rows := func(yield func(*taxsms.Taxpayer, error) bool) {
		for i := 1; i <= 3; i++ {
			if !yield(newTaxpayer(b1.ID, op.ID, i), nil) {
				return
			}
		}
		yield(nil, boom)
	}
	if _, err := db.UpsertTaxpayers(ctx, rows); !errors.Is(err, boom) {
		t.Fatalf("UpsertTaxpayers = %v, want %v", err, boom)
	}
	bad := newTaxpayer(b1.ID, op.ID, 5)
	bad.Name = ""
	_, err := db.UpsertTaxpayers(ctx, seq(newTaxpayer(b1.ID, op.ID, 4), bad))
	wantCode(t, err, taxsms.EINVALID, "name")
	c, err := db.Count(ctx)
	must(t, err)
	if c.Taxpayers != 0 {
		t.Errorf("taxpayers after failed upserts = %d, want 0: a failed transaction left rows behind", c.Taxpayers)
	}
}

// testUpsertMany crosses the bulk insert's batch boundaries.
func testUpsertMany(t *testing.T, db *store.DB) {
	ctx := context.Background()
	_, b1, _, op := city(t, db)
	const n = 300
	var tps []*taxsms.Taxpayer
	for i := 1; i <= n; i++ {
		tps = append(tps, newTaxpayer(b1.ID, op.ID, i))
	}
	got, err := db.UpsertTaxpayers(ctx, seq(tps...))
	must(t, err)
	if got != (store.Upserted{Inserted: n}) {
		t.Fatalf("UpsertTaxpayers = %+v, want %d inserted", got, n)
	}
	ids, err := db.TaxpayerIdentifiers(ctx)
	must(t, err)
	var cs []*taxsms.Contact
	for i, tp := range tps {
		for j, role := range []taxsms.ContactRole{taxsms.RoleLegalRep, taxsms.RoleTaxClerk} {
			cs = append(cs, &taxsms.Contact{TaxpayerID: ids[tp.Identifier], Role: role, Mobile: fmt.Sprintf("1390000%04d", i*2+j),
				Status: taxsms.ServiceActive, StatusChannel: taxsms.ChannelImport})
		}
	}
	got, err = db.UpsertContacts(ctx, seq(cs...))
	must(t, err)
	if got != (store.Upserted{Inserted: 2 * n}) {
		t.Fatalf("UpsertContacts = %+v, want %d inserted", got, 2*n)
	}
	last := ids[tps[n-1].Identifier]
	contacts, err := db.ListContacts(ctx, last)
	must(t, err)
	if len(contacts) != 2 || contacts[1].Mobile != fmt.Sprintf("1390000%04d", (n-1)*2+1) {
		t.Fatalf("contacts of the last taxpayer = %+v", contacts)
	}
	events, err := db.ContactEvents(ctx, contacts[1].ID)
	must(t, err)
	if len(events) != 1 || events[0].Mobile != taxsms.MaskMobile(contacts[1].Mobile) || events[0].Channel != taxsms.ChannelImport {
		t.Errorf("first event of an imported contact = %+v", events)
	}
	got, err = db.UpsertContacts(ctx, seq(cs...))
	must(t, err)
	if got != (store.Upserted{Unchanged: 2 * n}) {
		t.Errorf("UpsertContacts again = %+v, want all unchanged", got)
	}
	dup := []*taxsms.Taxpayer{newTaxpayer(b1.ID, op.ID, n+1), newTaxpayer(b1.ID, op.ID, n+1)}
	_, err = db.UpsertTaxpayers(ctx, seq(dup...))
	wantCode(t, err, taxsms.ECONFLICT, "")
	c, err := db.Count(ctx)
	must(t, err)
	if c.Taxpayers != n || c.Contacts != 2*n {
		t.Errorf("counts = %+v, want %d taxpayers and %d contacts", c, n, 2*n)
	}
}

// testReseal rotates the data key: values sealed with the old key are
// re-sealed with the new one and still found by number.
func testReseal(t *testing.T, dsn string) {
	ctx := context.Background()
	db := OpenDSN(t, dsn, Box(t))
	_, b1, _, op := city(t, db)
	tp := newTaxpayer(b1.ID, op.ID, 1)
	must(t, db.CreateTaxpayer(ctx, tp))
	must(t, db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleLegalRep, Mobile: "13812345678"}))
	must(t, db.SetTOTP(ctx, op.ID, "JBSWY3DPEHPK3PXP", 0))
	key1, key2 := make([]byte, pii.KeySize), make([]byte, pii.KeySize)
	for i := range key1 {
		key1[i], key2[i] = byte(i), byte(100+i)
	}
	rotated, err := pii.New(map[byte][]byte{1: key1, 2: key2}, key1)
	must(t, err)
	db2 := OpenDSN(t, dsn, rotated)
	n, err := db2.Reseal(ctx)
	must(t, err)
	if n != 3 { // the operator's number and second factor, and the contact's number
		t.Errorf("Reseal = %d, want 3", n)
	}
	if n, _ := db2.Reseal(ctx); n != 0 {
		t.Errorf("second Reseal = %d, want 0", n)
	}
	onlyNew, err := pii.New(map[byte][]byte{2: key2}, key1)
	must(t, err)
	db3 := OpenDSN(t, dsn, onlyNew)
	cs, err := db3.FindContactsByMobile(ctx, "13812345678")
	must(t, err)
	if len(cs) != 1 || cs[0].Mobile != "13812345678" {
		t.Errorf("after rotation and retiring key 1: %+v", cs)
	}
	r, err := db3.LoginRecord(ctx, op.Login)
	must(t, err)
	if r.TOTPSecret != "JBSWY3DPEHPK3PXP" {
		t.Errorf("second factor after rotation = %q", r.TOTPSecret)
	}
}

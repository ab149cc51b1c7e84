package storetest

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/store"
)

// testSelfService exercises the self-service codes: a code only for
// matching details, the same answer otherwise, expiry, tries, single use,
// and the rate limits.
func testSelfService(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	_, b1, _, op := city(t, db)
	tp := newTaxpayer(b1.ID, op.ID, 1)
	must(t, db.CreateTaxpayer(ctx, tp))
	c := &taxsms.Contact{TaxpayerID: tp.ID, Role: taxsms.RoleFinance, Name: "李娜", Mobile: "18612345678",
		Status: taxsms.ServicePending, StatusChannel: taxsms.ChannelWindow}
	must(t, db.CreateContact(ctx, c))
	policy := store.SelfService{PerIP: 100, PerMobile: 100}
	codeRE := regexp.MustCompile(`\d{6}`)
	request := func(t *testing.T, p store.SelfService, name, mobile, ip string) (token, code string) {
		t.Helper()
		token, err := db.RequestSelfServiceCode(ctx, p, store.CodeRequest{Identifier: tp.Identifier, Role: taxsms.RoleFinance,
			Name: name, Mobile: mobile, IP: ip, Message: func(code string) string { return "验证码 " + code + "，5分钟内有效。" }})
		must(t, err)
		if token == "" {
			t.Fatal("no token")
		}
		msgs, err := db.ListMessages(ctx, taxsms.MessageFilter{Mobile: mobile, Kind: taxsms.KindOTP})
		must(t, err)
		if len(msgs) > 0 && msgs[0].CreatedAt.Equal(now) {
			if msgs[0].Priority != taxsms.PriorityInteractive || msgs[0].Status != taxsms.StatusQueued || msgs[0].ContactID != c.ID {
				t.Errorf("code message = %+v", msgs[0])
			}
			code = codeRE.FindString(msgs[0].Body)
		}
		return token, code
	}
	confirm := func(token, code string) (*store.SelfServiceChange, error) {
		return db.ConfirmSelfServiceCode(ctx, policy, store.CodeConfirm{Token: token, Code: code, IP: "192.0.2.7",
			Announce: func(m string) string { return "号码已改为 " + m }})
	}
	tick := func() { now = now.Add(time.Second) }

	t.Run("WrongDetails", func(t *testing.T) {
		tick()
		token, code := request(t, policy, "王五", "13900000001", "192.0.2.1")
		if code != "" {
			t.Fatal("a code was sent for a wrong name")
		}
		for i, want := range []error{store.ErrCodeWrong, store.ErrCodeWrong, store.ErrCodeWrong, store.ErrCodeWrong, store.ErrCodeLocked, store.ErrCodeLocked} {
			if _, err := confirm(token, "000000"); !errors.Is(err, want) {
				t.Fatalf("try %d: %v, want %v", i+1, err, want)
			}
		}
	})
	t.Run("Activate", func(t *testing.T) {
		tick()
		token, code := request(t, policy, " 李 娜 ", "13900000002", "192.0.2.1")
		if code == "" {
			t.Fatal("no code queued")
		}
		ch, err := confirm(token, code)
		must(t, err)
		if !ch.Activated || !ch.Moved || ch.Contact.Mobile != "13900000002" || ch.Contact.Status != taxsms.ServiceActive {
			t.Errorf("change = %+v", ch)
		}
		got, err := db.FindContact(ctx, c.ID)
		must(t, err)
		if got.Mobile != "13900000002" || got.Status != taxsms.ServiceActive || got.StatusChannel != taxsms.ChannelSelf {
			t.Errorf("contact = %+v", got)
		}
		if _, err := confirm(token, code); !errors.Is(err, store.ErrCodeExpired) {
			t.Errorf("second use: %v, want ErrCodeExpired", err)
		}
		old, err := db.ListMessages(ctx, taxsms.MessageFilter{Mobile: "18612345678"})
		must(t, err)
		if len(old) != 1 || old[0].Body != "号码已改为 139****0002" {
			t.Errorf("announcement = %d messages %+v", len(old), old)
		}
		es, err := db.ListAudit(ctx, audit.Filter{Action: audit.ContactChanged})
		must(t, err)
		last := es[0]
		if last.Actor.Kind != audit.ActorSystem || last.IP != "192.0.2.7" || last.Object.ID == "" || regexp.MustCompile(`139\d{8}`).Match(last.After) {
			t.Errorf("audit = %+v %s", last, last.After)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		tick()
		token, code := request(t, policy, "李娜", "13900000003", "192.0.2.1")
		now = now.Add(5 * time.Minute)
		if _, err := confirm(token, code); !errors.Is(err, store.ErrCodeExpired) {
			t.Errorf("after 5 minutes: %v, want ErrCodeExpired", err)
		}
	})
	t.Run("Tries", func(t *testing.T) {
		tick()
		token, code := request(t, policy, "李娜", "13900000004", "192.0.2.1")
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		for range 4 {
			if _, err := confirm(token, wrong); !errors.Is(err, store.ErrCodeWrong) {
				t.Fatalf("wrong code: %v", err)
			}
		}
		if _, err := confirm(token, wrong); !errors.Is(err, store.ErrCodeLocked) {
			t.Fatalf("fifth wrong code: %v, want ErrCodeLocked", err)
		}
		if _, err := confirm(token, code); !errors.Is(err, store.ErrCodeLocked) {
			t.Fatalf("right code after five wrong: %v, want ErrCodeLocked", err)
		}
		if _, err := confirm("garbage", code); !errors.Is(err, store.ErrCodeExpired) {
			t.Fatalf("bad token: %v", err)
		}
	})
	t.Run("RateLimits", func(t *testing.T) {
		now = now.Add(2 * time.Hour)
		p := store.SelfService{PerMobile: 3, PerIP: 5}
		for i := range 3 {
			request(t, p, []string{"李娜", "无名", "李娜"}[i], "13900000005", "192.0.2.9")
		}
		_, err := db.RequestSelfServiceCode(ctx, p, store.CodeRequest{Identifier: "X", Role: taxsms.RoleFinance, Name: "x",
			Mobile: "13900000005", IP: "192.0.2.10", Message: func(string) string { return "x" }})
		if !errors.Is(err, store.ErrSelfServiceNumberLimit) {
			t.Fatalf("fourth code for one number: %v", err)
		}
		request(t, p, "x", "13900000006", "192.0.2.9")
		request(t, p, "x", "13900000007", "192.0.2.9")
		_, err = db.RequestSelfServiceCode(ctx, p, store.CodeRequest{Identifier: "X", Role: taxsms.RoleFinance, Name: "x",
			Mobile: "13900000008", IP: "192.0.2.9", Message: func(string) string { return "x" }})
		if !errors.Is(err, store.ErrSelfServiceAddressLimit) {
			t.Fatalf("sixth request from one address: %v", err)
		}
		now = now.Add(time.Hour)
		request(t, p, "x", "13900000005", "192.0.2.9")
	})
	t.Run("Invalid", func(t *testing.T) {
		_, err := db.RequestSelfServiceCode(ctx, policy, store.CodeRequest{Identifier: tp.Identifier, Role: taxsms.RoleFinance,
			Name: "李娜", Mobile: "12345", Message: func(string) string { return "x" }})
		wantCode(t, err, taxsms.EINVALID, "mobile")
		_, err = db.RequestSelfServiceCode(ctx, policy, store.CodeRequest{Identifier: tp.Identifier, Role: "boss",
			Name: "李娜", Mobile: "13900000009", Message: func(string) string { return "x" }})
		wantCode(t, err, taxsms.EINVALID, "role")
	})
}

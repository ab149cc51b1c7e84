package inbound_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"taxsms"
	"taxsms/inbound"
	"taxsms/store"
	"taxsms/store/storetest"
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// city is a branch with an administrator, two taxpayers whose tax clerk is
// the same number (one assigned to the administrator), and a third with
// its own number.
type city struct {
	db      *store.DB
	svc     *inbound.Service
	shared  string // the number of two taxpayers' clerk
	single  string
	now     time.Time
	nextMO  int64
	tickets []string
}

func newCity(t *testing.T) *city {
	t.Helper()
	ctx := context.Background()
	c := &city{db: storetest.Open(t, "sqlite"), shared: "13900001111", single: "13900002222",
		now: time.Date(2026, 12, 3, 22, 0, 0, 0, time.UTC)}
	root := &taxsms.Office{Code: "13702000000", Name: "青岛市税务局", Phone: "0532-12366"}
	must(t, c.db.CreateOffice(ctx, root))
	b := &taxsms.Office{ParentID: root.ID, Code: "13702020000", Name: "市南区税务局", Phone: "0532-82871234"}
	must(t, c.db.CreateOffice(ctx, b))
	admin := &taxsms.User{Login: "li.na", Name: "李娜", OfficeID: b.ID, Role: taxsms.RoleOperator}
	must(t, c.db.CreateUser(ctx, admin))
	for i, tp := range []struct {
		name   string
		admin  int64
		mobile string
	}{{"青岛海纳贸易有限公司", admin.ID, c.shared}, {"青岛海川电子有限公司", 0, c.shared}, {"青岛山海食品有限公司", admin.ID, c.single}} {
		first := fmt.Sprintf("91370202MA%07d", 300+i)
		p := &taxsms.Taxpayer{Identifier: first + string(taxsms.USCCCheck(first)), Name: tp.name, OfficeID: b.ID, AdminID: tp.admin,
			Registered: taxsms.Date{Year: 2024, Month: 1, Day: 2}, TaxTypes: []string{"增值税"}}
		must(t, c.db.CreateTaxpayer(ctx, p))
		must(t, c.db.CreateContact(ctx, &taxsms.Contact{TaxpayerID: p.ID, Role: taxsms.RoleTaxClerk, Name: "会计", Mobile: tp.mobile, Status: taxsms.ServiceActive}))
	}
	c.svc = &inbound.Service{Store: c.db, Signature: "【青岛税务】", Limit: 10, Now: func() time.Time { return c.now }}
	return c
}

// mo stores an MO from mobile and answers it.
func (c *city) mo(t *testing.T, mobile, text string) *taxsms.Message {
	t.Helper()
	c.nextMO++
	m, _, err := c.db.StoreFragment(context.Background(), store.Fragment{Carrier: taxsms.CarrierMobile, Link: "cmpp-1",
		MsgID: fmt.Sprintf("MO%d", c.nextMO), From: mobile, To: "106353212366", Text: text, Total: 1, Seq: 1})
	must(t, err)
	r, err := c.svc.Answer(context.Background(), m)
	must(t, err)
	return r
}

func (c *city) body(t *testing.T, mobile, text string) string {
	t.Helper()
	r := c.mo(t, mobile, text)
	if r == nil {
		t.Fatalf("%q from %s: no reply", text, mobile)
	}
	if r.Priority != taxsms.PriorityInteractive || r.Kind != taxsms.KindReply || r.Mobile != mobile || !strings.HasPrefix(r.Body, "【青岛税务】") {
		t.Errorf("reply %+v: want a signed interactive reply to %s", r, mobile)
	}
	return strings.TrimPrefix(r.Body, "【青岛税务】")
}

func TestService_Admin(t *testing.T) {
	c := newCity(t)
	if got := c.body(t, c.single, "CX 我的税收管理员是谁"); got != "青岛山海食品有限公司的税收管理员：李娜，市南区税务局，电话0532-82871234。" {
		t.Errorf("look-up = %q", got)
	}
	got := c.body(t, c.shared, "ＣＸ")
	if !strings.Contains(got, "青岛海纳贸易有限公司的税收管理员：李娜") || !strings.Contains(got, "青岛海川电子有限公司暂未分配税收管理员，主管税务机关：市南区税务局") {
		t.Errorf("a number of two taxpayers = %q, want both", got)
	}
	// An unknown sender learns nothing of anyone.
	if got := c.body(t, "13700000000", "CX"); !strings.HasPrefix(got, "未查到") {
		t.Errorf("unknown sender = %q", got)
	}
}

func TestService_OptOut(t *testing.T) {
	c := newCity(t)
	ctx := context.Background()
	if got := c.body(t, c.shared, "TD"); got != "您已退订本平台短信。回复DY可重新订阅。" {
		t.Errorf("TD = %q", got)
	}
	cs, err := c.db.FindContactsByMobile(ctx, c.shared)
	must(t, err)
	for _, ct := range cs {
		if ct.Status != taxsms.ServiceOptedOut || ct.StatusChannel != taxsms.ChannelSelf {
			t.Errorf("after TD contact %d is %s through %s", ct.ID, ct.Status, ct.StatusChannel)
		}
	}
	c.body(t, c.shared, "订阅")
	cs, err = c.db.FindContactsByMobile(ctx, c.shared)
	must(t, err)
	for _, ct := range cs {
		if ct.Status != taxsms.ServiceActive {
			t.Errorf("after DY contact %d is %s", ct.ID, ct.Status)
		}
	}
	if got := c.body(t, "13700000000", "退订"); !strings.HasPrefix(got, "本号码未登记") {
		t.Errorf("TD from an unknown number = %q", got)
	}
}

type testTickets struct{ opened []string }

func (tt *testTickets) OpenTicket(ctx context.Context, kind inbound.Intent, m *taxsms.Message, taxpayer int64) (string, taxsms.Date, error) {
	n := fmt.Sprintf("%s-%d-%d", kind, len(tt.opened)+1, taxpayer)
	tt.opened = append(tt.opened, n)
	return n, taxsms.Date{Year: 2026, Month: 12, Day: 10}, nil
}

func TestService_Tickets(t *testing.T) {
	c := newCity(t)
	if got := c.body(t, c.single, "TS 大厅排队太久"); got != "您的短信已收到，我们将转交工作人员处理。" {
		t.Errorf("complaint without tickets = %q", got)
	}
	tk := &testTickets{}
	c.svc.Tickets = tk
	if got := c.body(t, c.single, "投诉：窗口态度差"); !strings.HasPrefix(got, "您的投诉已受理，编号complaint-1-") || !strings.HasSuffix(got, "我们将于12月10日前答复。") {
		t.Errorf("complaint = %q", got)
	}
	if got := c.body(t, "13700000000", "JB 某店不开发票"); got != "您的举报已受理，编号report-2-0，我们将于12月10日前答复。" {
		t.Errorf("report from an unknown sender = %q (the ticket has no taxpayer)", got)
	}
	if got := c.body(t, c.single, "ZX 个税怎么汇算"); !strings.HasPrefix(got, "您的问题已转人工咨询，编号question-3-") {
		t.Errorf("a question nothing answers = %q", got)
	}
}

func TestService_RateLimit(t *testing.T) {
	c := newCity(t)
	for i := range 10 {
		if r := c.mo(t, c.single, "BZ"); r == nil {
			t.Fatalf("message %d within the limit: no reply", i+1)
		}
	}
	if got := c.body(t, c.single, "BZ"); got != "您一分钟内发送的短信超过10条，暂停自动回复一分钟。" {
		t.Errorf("11th message = %q", got)
	}
	if r := c.mo(t, c.single, "BZ"); r != nil {
		t.Errorf("12th message answered: %q", r.Body)
	}
	if r := c.mo(t, c.shared, "BZ"); r == nil {
		t.Error("another number is held back too")
	}
	c.now = c.now.Add(time.Minute)
	if r := c.mo(t, c.single, "BZ"); r == nil {
		t.Error("a minute later: still no reply")
	}
}

func TestService_Once(t *testing.T) {
	c := newCity(t)
	ctx := context.Background()
	m := c.mo(t, c.single, "帮助")
	if m == nil || !strings.Contains(m.Body, "发票查验回复FP") {
		t.Fatalf("help = %v", m)
	}
	mo, err := c.db.ListMessages(ctx, taxsms.MessageFilter{Direction: taxsms.MO, Limit: 1})
	must(t, err)
	// The same MO answered again (after a crash, say) queues nothing new.
	again, err := c.svc.Answer(ctx, mo[0])
	must(t, err)
	replies, err := c.db.ListMessages(ctx, taxsms.MessageFilter{Kind: taxsms.KindReply, Limit: 10})
	must(t, err)
	if len(replies) != 1 || again.ID != replies[0].ID || replies[0].IdempotencyKey != fmt.Sprintf("reply/%d", mo[0].ID) {
		t.Errorf("replies %d (%+v), want one keyed to MO %d", len(replies), replies, mo[0].ID)
	}
}

func TestService_Recover(t *testing.T) {
	c := newCity(t)
	ctx := context.Background()
	// An MO stored, then the node stopped before answering it.
	_, _, err := c.db.StoreFragment(ctx, store.Fragment{Carrier: taxsms.CarrierMobile, Link: "cmpp-1",
		MsgID: "LOST1", From: c.single, To: "106353212366", Text: "CX", Total: 1, Seq: 1})
	must(t, err)
	c.mo(t, c.shared, "BZ") // answered at once
	c.svc.Now = time.Now
	for run, want := range []int{1, 0} {
		n, err := c.svc.Recover(ctx, c.db)
		must(t, err)
		if n != want {
			t.Errorf("Recover run %d answered %d, want %d", run+1, n, want)
		}
	}
	replies, err := c.db.ListMessages(ctx, taxsms.MessageFilter{Kind: taxsms.KindReply, Limit: 10})
	must(t, err)
	if len(replies) != 2 {
		t.Errorf("%d replies, want 2: each MO answered once", len(replies))
	}
}

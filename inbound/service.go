package inbound

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"taxsms"
	"taxsms/protocol/sms"
)

// Store is what the service needs of the store (store.DB has it).
type Store interface {
	FindContactsByMobile(ctx context.Context, mobile string) ([]*taxsms.Contact, error)
	FindTaxpayer(ctx context.Context, id int64) (*taxsms.Taxpayer, error)
	FindUser(ctx context.Context, id int64) (*taxsms.User, error)
	FindOffice(ctx context.Context, id int64) (*taxsms.Office, error)
	UpdateContact(ctx context.Context, c *taxsms.Contact) error
	CreateMessages(ctx context.Context, msgs []*taxsms.Message) ([]bool, error)
}

// Invoices answers an invoice check: the text after the keyword (or the
// whole text), answered in a short reply.
type Invoices interface {
	CheckInvoice(ctx context.Context, text string) string
}

// Answers answers a tax question from the knowledge base; ok is false when
// nothing matches well.
type Answers interface {
	AnswerQuestion(text string) (answer string, ok bool)
}

// Tickets opens a ticket for staff: a consultation, complaint or report
// from m, for the taxpayer (0 when the sender is unknown), returning its
// number and the day its answer is due, for the acknowledgement.
type Tickets interface {
	OpenTicket(ctx context.Context, kind Intent, m *taxsms.Message, taxpayerID int64) (number string, due taxsms.Date, err error)
}

// Service answers what taxpayers text: it classifies each MO, does what
// it asks and queues one reply, at top priority and at any hour, keyed
// reply/<MO id> so that an MO is never answered twice. An unknown sender
// gets only what is safe — invoice checks, the knowledge base, help —
// never a taxpayer's data. A number that texts more than Limit messages a
// minute gets one reply saying so, then none until the minute has passed.
//
// Invoices, Answers and Tickets may be nil: their intents then get the
// help text, and questions and complaints are kept for staff as the MO.
type Service struct {
	Store      Store
	Classifier *Classifier // NewClassifier(nil) if nil
	Invoices   Invoices
	Answers    Answers
	Tickets    Tickets
	Signature  string // in front of every reply, e.g. 【青岛税务】
	Limit      int    // messages a minute per number; 0: 10
	Notify     func() // told when a reply is queued (the dispatcher); may be nil
	Logger     *slog.Logger
	Now        func() time.Time // time.Now if nil

	once  sync.Once
	slots chan struct{} // one per MO being answered
	mu    sync.Mutex
	rates map[string]*rate
}

// rate is a number's messages in the current minute.
type rate struct {
	start time.Time
	n     int
}

// busy bounds the MO answered at once; more wait, holding back the link
// that brought them.
const busy = 64

// HandleMO answers m in the background (dispatch.MOHandler), so that the
// link that brought it goes on; errors are logged. At most busy MO are
// answered at once; the next waits for one of them.
func (s *Service) HandleMO(ctx context.Context, m *taxsms.Message) {
	s.once.Do(s.init)
	s.slots <- struct{}{}
	go func() {
		defer func() { <-s.slots }()
		if _, err := s.Answer(ctx, m); err != nil {
			s.Logger.Error("inbound: answer", "mo", m.ID, "err", err)
		}
	}()
}

// Unanswered finds the MO a crash caught between storing and answering.
type Unanswered interface {
	UnansweredMO(ctx context.Context, since time.Time) ([]*taxsms.Message, error)
}

// Recover answers the MO received within the last hour that have no reply
// (a node stopped between storing an MO and answering it), and returns how
// many it answered. Each is answered once whatever happens: the reply's
// key is the MO's.
func (s *Service) Recover(ctx context.Context, st Unanswered) (int, error) {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	mos, err := st.UnansweredMO(ctx, now.Add(-time.Hour))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range mos {
		r, err := s.Answer(ctx, m)
		if err != nil {
			return n, err
		}
		if r != nil {
			n++
		}
	}
	return n, nil
}

// Wait waits until the MO being answered are answered: call it once no
// more MO come (the links closed), before the store closes.
func (s *Service) Wait() {
	s.once.Do(s.init)
	for range busy {
		s.slots <- struct{}{}
	}
	for range busy {
		<-s.slots
	}
}

func (s *Service) init() {
	if s.Classifier == nil {
		s.Classifier = NewClassifier(nil)
	}
	s.rates = make(map[string]*rate)
	s.slots = make(chan struct{}, busy)
}

// Answer classifies m, does what it asks, queues the reply and returns it
// (nil when none is due: a number over its limit, after the one reply
// saying so).
func (s *Service) Answer(ctx context.Context, m *taxsms.Message) (*taxsms.Message, error) {
	s.once.Do(s.init)
	text, ok := s.allow(m.Mobile)
	var taxpayer, office int64
	if ok {
		c := s.Classifier.Classify(m.Body)
		var err error
		if text, taxpayer, office, err = s.reply(ctx, m, c); err != nil {
			return nil, err
		}
	}
	if text == "" {
		return nil, nil
	}
	r := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindReply, Priority: taxsms.PriorityInteractive,
		Mobile: m.Mobile, Body: s.Signature + text, TaxpayerID: taxpayer, OfficeID: office,
		IdempotencyKey: "reply/" + strconv.FormatInt(m.ID, 10)}
	if n, err := sms.Count(r.Body, "", sms.UCS2); err == nil {
		r.Segments = n
	}
	if _, err := s.Store.CreateMessages(ctx, []*taxsms.Message{r}); err != nil {
		return nil, err
	}
	if s.Notify != nil {
		s.Notify()
	}
	return r, nil
}

// allow counts an MO of mobile; when the number is over its limit it
// returns false, with the one reply that says so (then "").
func (s *Service) allow(mobile string) (string, bool) {
	limit := s.Limit
	if limit <= 0 {
		limit = 10
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rates[mobile]
	if r == nil || now.Sub(r.start) >= time.Minute {
		if len(s.rates) > 100_000 { // forget the quiet numbers now and then
			for k, v := range s.rates {
				if now.Sub(v.start) >= time.Minute {
					delete(s.rates, k)
				}
			}
		}
		r = &rate{start: now}
		s.rates[mobile] = r
	}
	r.n++
	switch {
	case r.n <= limit:
		return "", true
	case r.n == limit+1:
		return fmt.Sprintf(textTooMany, limit), false
	}
	return "", false
}

// The replies' texts.
const (
	textHelp      = "12366短信服务：发票查验回复FP+发票代码+号码（数电票回复20位号码）；查询税收管理员回复CX；咨询回复ZX+问题；投诉回复TS+内容；举报回复JB+内容；退订回复TD。"
	textOther     = "您好，您的短信已收到，我们将转交工作人员处理。" + textHelpShort
	textHelpShort = "回复BZ查看短信服务。"
	textTooMany   = "您一分钟内发送的短信超过%d条，暂停自动回复一分钟。"
	textUnknown   = "未查到与本手机号码关联的纳税人。如需登记或变更号码，请到办税服务厅或通过自助服务办理。"
	textAdmin     = "%s的税收管理员：%s，%s，电话%s。"
	textNoAdmin   = "%s暂未分配税收管理员，主管税务机关：%s，电话%s。"
	textOptOut    = "您已退订本平台短信。回复DY可重新订阅。"
	textOptIn     = "您已重新订阅本平台短信。回复TD可退订。"
	textNoContact = "本号码未登记为纳税人联系人，无需退订。"
	textTicket    = "您的%s已受理，编号%s，我们将于%d月%d日前答复。"
	textNoMatch   = "您的问题已转人工咨询，编号%s，我们将于%d月%d日前答复。"
	textKept      = "您的短信已收到，我们将转交工作人员处理。"
)

// ticketNames are a ticket's name in a reply.
var ticketNames = map[Intent]string{Question: "咨询", Complaint: "投诉", Report: "举报"}

// reply does what c asks of m and returns the reply, with the taxpayer and
// office it concerns (0 when none).
func (s *Service) reply(ctx context.Context, m *taxsms.Message, c Classified) (text string, taxpayer, office int64, err error) {
	switch c.Intent {
	case Help:
		return textHelp, 0, 0, nil
	case InvoiceCheck:
		if s.Invoices == nil {
			return textHelp, 0, 0, nil
		}
		return s.Invoices.CheckInvoice(ctx, c.Rest), 0, 0, nil
	case AdminLookup:
		return s.admin(ctx, m.Mobile)
	case OptOut, OptIn:
		return s.service(ctx, m.Mobile, c.Intent == OptIn)
	case Question:
		if s.Answers != nil {
			if a, ok := s.Answers.AnswerQuestion(c.Rest); ok {
				return a, 0, 0, nil
			}
		}
		return s.ticket(ctx, m, Question)
	case Complaint, Report:
		return s.ticket(ctx, m, c.Intent)
	}
	// Anything else: the knowledge base may still know it.
	if s.Answers != nil {
		if a, ok := s.Answers.AnswerQuestion(c.Text); ok {
			return a, 0, 0, nil
		}
	}
	return textOther, 0, 0, nil
}

// taxpayers returns the taxpayers whose contacts use mobile, in order of
// contact, without repeats.
func (s *Service) taxpayers(ctx context.Context, mobile string) ([]*taxsms.Contact, []*taxsms.Taxpayer, error) {
	cs, err := s.Store.FindContactsByMobile(ctx, mobile)
	if err != nil {
		return nil, nil, err
	}
	var tps []*taxsms.Taxpayer
	seen := make(map[int64]bool)
	for _, c := range cs {
		if seen[c.TaxpayerID] {
			continue
		}
		seen[c.TaxpayerID] = true
		t, err := s.Store.FindTaxpayer(ctx, c.TaxpayerID)
		if err != nil {
			return nil, nil, err
		}
		tps = append(tps, t)
	}
	return cs, tps, nil
}

// admin answers who is the tax administrator of the sender's taxpayers:
// their name, office and the office's phone; several taxpayers get a short
// list (three at most).
func (s *Service) admin(ctx context.Context, mobile string) (string, int64, int64, error) {
	_, tps, err := s.taxpayers(ctx, mobile)
	if err != nil || len(tps) == 0 {
		return textUnknown, 0, 0, err
	}
	var lines []string
	for _, t := range tps[:min(len(tps), 3)] {
		o, err := s.Store.FindOffice(ctx, t.OfficeID)
		if err != nil {
			return "", 0, 0, err
		}
		if t.AdminID == 0 {
			lines = append(lines, fmt.Sprintf(textNoAdmin, t.Name, o.Name, o.Phone))
			continue
		}
		u, err := s.Store.FindUser(ctx, t.AdminID)
		if err != nil {
			return "", 0, 0, err
		}
		lines = append(lines, fmt.Sprintf(textAdmin, t.Name, u.Name, o.Name, o.Phone))
	}
	if len(tps) > 3 {
		lines = append(lines, fmt.Sprintf("另有%d户，请致电12366查询。", len(tps)-3))
	}
	return strings.Join(lines, ""), tps[0].ID, tps[0].OfficeID, nil
}

// service opts the sender's contacts out (or in again): every contact with
// that number whose service is active (or opted out) changes, through the
// self-service channel.
func (s *Service) service(ctx context.Context, mobile string, in bool) (string, int64, int64, error) {
	cs, err := s.Store.FindContactsByMobile(ctx, mobile)
	if err != nil {
		return "", 0, 0, err
	}
	from, to, text := taxsms.ServiceActive, taxsms.ServiceOptedOut, textOptOut
	if in {
		from, to, text = taxsms.ServiceOptedOut, taxsms.ServiceActive, textOptIn
	}
	changed := 0
	var taxpayer int64
	for _, c := range cs {
		if c.Status != from {
			continue
		}
		c.Status, c.StatusChannel, c.StatusSince = to, taxsms.ChannelSelf, time.Time{}
		if err := s.Store.UpdateContact(ctx, c); err != nil {
			return "", 0, 0, err
		}
		changed++
		taxpayer = c.TaxpayerID
	}
	if changed == 0 && len(cs) == 0 {
		return textNoContact, 0, 0, nil
	}
	return text, taxpayer, 0, nil
}

// ticket opens a ticket of kind for m and acknowledges it with its number.
func (s *Service) ticket(ctx context.Context, m *taxsms.Message, kind Intent) (string, int64, int64, error) {
	if s.Tickets == nil {
		return textKept, 0, 0, nil
	}
	_, tps, err := s.taxpayers(ctx, m.Mobile)
	if err != nil {
		return "", 0, 0, err
	}
	var taxpayer, office int64
	if len(tps) > 0 {
		taxpayer, office = tps[0].ID, tps[0].OfficeID
	}
	number, due, err := s.Tickets.OpenTicket(ctx, kind, m, taxpayer)
	if err != nil {
		return "", 0, 0, err
	}
	if kind == Question {
		return fmt.Sprintf(textNoMatch, number, due.Month, due.Day), taxpayer, office, nil
	}
	return fmt.Sprintf(textTicket, ticketNames[kind], number, due.Month, due.Day), taxpayer, office, nil
}

package taxsms_test

import (
	"strings"
	"testing"
	"time"

	"taxsms"
)

func TestTicketValidate(t *testing.T) {
	due := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	ok := func() taxsms.Ticket {
		return taxsms.Ticket{Type: taxsms.TicketComplaint, Mobile: "+86 139 1234 5678", OfficeID: 1, Text: " 投诉 办税厅排队太久 ", Due: due}
	}
	for _, tt := range []struct {
		name  string
		edit  func(*taxsms.Ticket)
		field string
	}{
		{"Valid", func(*taxsms.Ticket) {}, ""},
		{"NoType", func(t *taxsms.Ticket) { t.Type = "" }, "type"},
		{"BadType", func(t *taxsms.Ticket) { t.Type = "question" }, "type"},
		{"BadMobile", func(t *taxsms.Ticket) { t.Mobile = "12345" }, "mobile"},
		{"NoOffice", func(t *taxsms.Ticket) { t.OfficeID = 0 }, "office"},
		{"NoText", func(t *taxsms.Ticket) { t.Text = "  " }, "text"},
		{"LongText", func(t *taxsms.Ticket) { t.Text = strings.Repeat("税", taxsms.MaxTicketText+1) }, "text"},
		{"BadUTF8", func(t *taxsms.Ticket) { t.Text = "\xff" }, "text"},
		{"NoDue", func(t *taxsms.Ticket) { t.Due = time.Time{} }, "due"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tk := ok()
			tt.edit(&tk)
			err := tk.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tk.Mobile != "13912345678" || tk.Text != "投诉 办税厅排队太久" {
					t.Errorf("not normalised: %q %q", tk.Mobile, tk.Text)
				}
				return
			}
			if taxsms.ErrorCode(err) != taxsms.EINVALID || taxsms.ErrorField(err) != tt.field {
				t.Errorf("err = %v, want EINVALID on %s", err, tt.field)
			}
		})
	}
}

func TestValidAnswer(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{" 您好，已转交办税服务厅处理。 ", "您好，已转交办税服务厅处理。", true},
		{strings.Repeat("答", taxsms.MaxAnswerChars), strings.Repeat("答", taxsms.MaxAnswerChars), true},
		{strings.Repeat("答", taxsms.MaxAnswerChars+1), "", false},
		{"   ", "", false},
		{"\xfe", "", false},
	} {
		got, err := taxsms.ValidAnswer(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ValidAnswer(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestTicketOverdue(t *testing.T) {
	due := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		status taxsms.TicketStatus
		now    time.Time
		want   bool
	}{
		{taxsms.TicketOpen, due.Add(-time.Minute), false},
		{taxsms.TicketOpen, due.Add(time.Minute), true},
		{taxsms.TicketAnswered, due.Add(time.Hour), false},
		{taxsms.TicketClosed, due.Add(time.Hour), false},
	} {
		tk := taxsms.Ticket{Status: tt.status, Due: due}
		if got := tk.Overdue(tt.now); got != tt.want {
			t.Errorf("%s at %v: Overdue = %v", tt.status, tt.now, got)
		}
	}
	for _, tt := range []struct {
		typ  taxsms.TicketType
		want string
	}{{taxsms.TicketConsultation, "ZX"}, {taxsms.TicketComplaint, "TS"}, {taxsms.TicketReport, "JB"}, {"x", ""}} {
		if got := tt.typ.Prefix(); got != tt.want {
			t.Errorf("%s.Prefix() = %q", tt.typ, got)
		}
	}
}

// FuzzTicketValidate feeds texts and numbers as they arrive from handsets
// and forms: Validate and ValidAnswer never panic, and what they accept
// keeps to the limits.
func FuzzTicketValidate(f *testing.F) {
	for _, s := range []string{"投诉 办税厅排队太久", "", "  ", "\xff", strings.Repeat("税", 700)} {
		f.Add(s, "13912345678")
	}
	f.Add("举报", "+86 139-1234-5678")
	f.Fuzz(func(t *testing.T, text, mobile string) {
		k := taxsms.Ticket{Type: taxsms.TicketReport, Mobile: mobile, OfficeID: 1, Text: text, Due: time.Unix(1, 0)}
		if err := k.Validate(); err == nil {
			if n := len([]rune(k.Text)); n == 0 || n > taxsms.MaxTicketText || len(k.Mobile) != 11 {
				t.Errorf("accepted text of %d characters, number %q", n, k.Mobile)
			}
		} else if taxsms.ErrorCode(err) != taxsms.EINVALID {
			t.Errorf("error %v is not EINVALID", err)
		}
		if a, err := taxsms.ValidAnswer(text); err == nil {
			if n := len([]rune(a)); n == 0 || n > taxsms.MaxAnswerChars {
				t.Errorf("accepted an answer of %d characters", n)
			}
		}
	})
}

package campaign

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/xuri/excelize/v2"

	"taxsms"
	"taxsms/auth"
	"taxsms/calendar"
	"taxsms/store"
)

// Hours returns the working hours of an office on the calendar in force.
func (s *Service) Hours(ctx context.Context, officeID int64) (calendar.Hours, error) {
	cal, err := s.calendar(ctx)
	if err != nil {
		return calendar.Hours{}, err
	}
	sessions, _, err := s.DB.OfficeHours(auth.NewContext(ctx, nil), officeID)
	if err != nil {
		return calendar.Hours{}, err
	}
	return calendar.Hours{Calendar: cal, Sessions: sessions, Location: calendar.Shanghai}, nil
}

// Step is what one Run did.
type Step struct {
	Started   int // campaigns started (scheduled → sending)
	Queued    int // messages queued
	Held      int // messages held as a working window closed
	Released  int // messages released as one opened
	Completed int // campaigns completed
}

// Run does, as the platform, what is due now for every scheduled, sending
// or paused campaign: it starts a scheduled campaign whose time has come
// within its office's working hours (an emergency whatever the hour) and
// expands it into the outbox; holds a sending campaign's waiting messages
// when the window closes and releases them when the next opens; and marks
// completed a campaign all of whose messages are done. It is called
// periodically by the node holding the scheduler's lock; every step is
// idempotent, so a node taking over re-runs it safely.
func (s *Service) Run(ctx context.Context) (Step, error) {
	ctx = auth.NewContext(ctx, nil)
	var st Step
	ids, err := s.DB.ActiveCampaigns(ctx)
	if err != nil {
		return st, err
	}
	now := s.now()
	for _, id := range ids {
		if err := s.step(ctx, id, now, &st); err != nil {
			if ctx.Err() != nil {
				return st, ctx.Err()
			}
			s.logger().Error("campaign", "id", id, "err", err)
		}
	}
	return st, nil
}

func (s *Service) step(ctx context.Context, id int64, now time.Time, st *Step) error {
	c, err := s.DB.FindCampaign(ctx, id)
	if err != nil {
		return err
	}
	if c.State == taxsms.CampaignPaused {
		return nil
	}
	hours, err := s.Hours(ctx, c.OfficeID)
	if err != nil {
		return err
	}
	open := c.Emergency || hours.Contains(now)
	if c.State == taxsms.CampaignScheduled {
		if now.Before(c.ScheduledAt) || !open {
			return nil
		}
		detail := "started"
		if c.Emergency {
			detail = "started at once, emergency: " + c.EmergencyReason
		}
		if c, err = s.DB.MoveCampaign(ctx, id, store.CampaignMove{From: []taxsms.CampaignState{taxsms.CampaignScheduled},
			To: taxsms.CampaignSending, Started: true, Detail: detail}); err != nil {
			return err
		}
		st.Started++
	}
	if c.State != taxsms.CampaignSending {
		return nil
	}
	held, expanded, err := s.DB.CampaignHeld(ctx, id)
	if err != nil {
		return err
	}
	switch {
	case !open && !held:
		n, err := s.DB.HoldCampaign(ctx, id, true)
		if err != nil {
			return err
		}
		st.Held += n
	case open && held:
		n, err := s.DB.HoldCampaign(ctx, id, false)
		if err != nil {
			return err
		}
		st.Released += n
	}
	if !expanded {
		n, done, err := s.DB.ExpandCampaign(ctx, id, s.Rendering(c))
		st.Queued += n
		if err != nil || !done {
			return err
		}
	}
	waiting, err := s.DB.CampaignWaiting(ctx, id)
	if err != nil || waiting > 0 {
		return err
	}
	p, err := s.DB.CampaignProgress(ctx, id)
	if err != nil {
		return err
	}
	_, err = s.DB.MoveCampaign(ctx, id, store.CampaignMove{From: []taxsms.CampaignState{taxsms.CampaignSending},
		To: taxsms.CampaignCompleted, Completed: true,
		Detail: fmt.Sprintf("%d messages: %d delivered, %d failed, %d cancelled", p.Messages, p.Delivered, p.Failed, p.Cancelled)})
	if err == nil {
		st.Completed++
	}
	return err
}

// Lock is held by one node at a time (store.Lock).
type Lock interface {
	Hold(ctx context.Context) (bool, error)
}

// Scheduler runs Service.Run every tick on the node holding Lock, and the
// festival drafts once a day.
type Scheduler struct {
	Service *Service
	Lock    Lock
	Every   time.Duration // between ticks; default 10 s
	// FestivalDays is how many days ahead of a festival its greeting is
	// drafted; default 14.
	FestivalDays int
	Logger       *slog.Logger
	Notify       func() // told when messages were queued or released (the dispatcher); may be nil

	drafted taxsms.Date
}

// Run ticks until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	every := s.Every
	if every <= 0 {
		every = 10 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick runs what is due now, if this node holds the lock, logging errors
// (the next tick retries).
func (s *Scheduler) Tick(ctx context.Context) {
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	if ok, err := s.Lock.Hold(ctx); err != nil || !ok {
		if err != nil && ctx.Err() == nil {
			log.Warn("campaigns: scheduler lock", "err", err)
		}
		return
	}
	today := taxsms.DateOf(s.Service.now().In(calendar.Shanghai))
	if s.drafted != today {
		days := s.FestivalDays
		if days <= 0 {
			days = 14
		}
		n, err := s.Service.FestivalDrafts(ctx, today, days)
		if err != nil {
			log.Error("campaigns: festival drafts", "err", err)
		} else {
			s.drafted = today
			if n > 0 {
				log.Info("campaigns: festival greetings drafted", "drafts", n)
			}
		}
	}
	st, err := s.Service.Run(ctx)
	if err != nil && ctx.Err() == nil {
		log.Error("campaigns", "err", err)
	}
	if st != (Step{}) {
		log.Info("campaigns", "started", st.Started, "queued", st.Queued, "held", st.Held, "released", st.Released, "completed", st.Completed)
	}
	if (st.Queued > 0 || st.Released > 0) && s.Notify != nil {
		s.Notify()
	}
}

// Greetings are the festival greetings' texts, by festival name.
var Greetings = map[string]string{
	"春节":  "值此新春佳节之际，{office}向您致以节日的问候，感谢您对税收工作的支持，祝您新春快乐、万事如意！",
	"元宵节": "元宵佳节，{office}祝您阖家团圆、幸福安康，感谢您对税收工作的理解与支持！",
	"端午节": "端午安康！{office}感谢您一直以来对税收工作的支持，祝您节日快乐！",
	"中秋节": "月圆中秋，{office}祝您阖家幸福、事业兴旺，感谢您对税收工作的支持！",
}

// FestivalDrafts drafts, for every festival from day to days after it
// (calendar.Upcoming), a greeting to the whole city's taxpayers on behalf
// of the root office, once: a festival already drafted is left as it is
// (even if edited or cancelled since). It returns how many it drafted.
// The drafts have no author: the member of staff who edits one becomes
// it, and it then goes through the usual check and approval.
func (s *Service) FestivalDrafts(ctx context.Context, day taxsms.Date, days int) (int, error) {
	ctx = auth.NewContext(ctx, nil)
	roots, err := s.DB.ListOffices(ctx, taxsms.OfficeFilter{Limit: 1000})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range calendar.Upcoming(day, days) {
		for _, o := range roots {
			if o.ParentID != 0 {
				continue
			}
			text := Greetings[f.Name]
			if text == "" {
				text = "{office}祝您" + f.Name + "快乐！"
			}
			c := &taxsms.Campaign{OfficeID: o.ID, Kind: taxsms.KindSpecial, Title: f.Name + "祝福 " + f.Date.String(),
				Template: text, Audience: taxsms.Audience{Type: taxsms.AudienceTaxpayers, Subtree: o.ID},
				Festival: f.Date.String() + " " + f.Name,
				// Not before the festival's day at 09:00.
				ScheduledAt: time.Date(f.Date.Year, f.Date.Month, f.Date.Day, 9, 0, 0, 0, calendar.Shanghai)}
			switch err := s.DB.CreateCampaign(ctx, c); taxsms.ErrorCode(err) {
			case "":
				n++
			case taxsms.ECONFLICT:
			default:
				return n, err
			}
		}
	}
	return n, nil
}

// WriteReport writes a campaign's report as an Excel workbook: a summary
// sheet (state, counts, emergency and override flags) and the delivery by
// office and carrier. It records the export (audit.Exported).
func (s *Service) WriteReport(ctx context.Context, id int64, w io.Writer) error {
	c, err := s.DB.FindCampaign(ctx, id)
	if err != nil {
		return err
	}
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermExport); err != nil {
		return err
	}
	p, err := s.DB.CampaignProgress(ctx, id)
	if err != nil {
		return err
	}
	rows, err := s.DB.CampaignReport(ctx, id)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	sum := "Summary"
	f.SetSheetName("Sheet1", sum)
	flags := ""
	if c.Emergency {
		flags = "EMERGENCY: " + c.EmergencyReason
	}
	if c.OverrideBy != 0 {
		flags += fmt.Sprintf(" OVERRIDE by user %d: %s", c.OverrideBy, c.OverrideReason)
	}
	summary := [][]any{
		{"Campaign", c.ID}, {"Title", c.Title}, {"Kind", string(c.Kind)}, {"State", string(c.State)},
		{"Flags", flags}, {"Messages", p.Messages}, {"Segments", p.Segments}, {"Sent", p.Sent},
		{"Delivered", p.Delivered}, {"Failed", p.Failed}, {"Waiting", p.Waiting}, {"Cancelled", p.Cancelled},
	}
	for i, r := range summary {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sum, cell, &r); err != nil {
			return err
		}
	}
	del := "Delivery"
	if _, err := f.NewSheet(del); err != nil {
		return err
	}
	head := []any{"Office ID", "Office", "Carrier", "Messages", "Segments", "Delivered", "Failed", "Waiting", "Cancelled"}
	if err := f.SetSheetRow(del, "A1", &head); err != nil {
		return err
	}
	for i, r := range rows {
		row := []any{r.OfficeID, r.OfficeName, string(r.Carrier), r.Messages, r.Segments, r.Delivered, r.Failed, r.Waiting, r.Cancelled}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(del, cell, &row); err != nil {
			return err
		}
	}
	if err := s.DB.RecordExport(ctx, "campaign_report", fmt.Sprintf("campaign %d", id), len(rows)); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

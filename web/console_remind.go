package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/auth"
	"taxsms/calendar"
	"taxsms/remind"
)

// The reminders' pages: the four rules, each edited with a preview of its
// text (GET and POST /reminders/{rule}); the plan of a date, and running it
// now (GET and POST /plan). The rules are city-wide settings: those who
// hold auth.PermManageSettings change them and run the plan, those who also
// read everything (auth.PermReadAll) see them.

func (c *Console) remindRoutes(mux *http.ServeMux) {
	if c.Reminders == nil {
		c.Reminders = &remind.Planner{Store: c.DB, Settings: c.DB, Calendar: calendar.Default()}
	}
	c.handle(mux, "GET /reminders", "", c.handleReminders)
	c.handle(mux, "GET /reminders/{rule}", "", c.handleReminder)
	c.handle(mux, "POST /reminders/{rule}", auth.PermManageSettings, c.handleReminderPost)
	c.handle(mux, "GET /plan", "", c.handlePlan)
	c.handle(mux, "POST /plan", auth.PermManageSettings, c.handlePlanRun)
	c.calendarRoutes(mux)
}

// canSeeReminders reports whether a may see the reminders' pages.
func canSeeReminders(a *auth.Actor) bool {
	return a.Has(auth.PermManageSettings) || a.Has(auth.PermReadAll)
}

// planner returns the planner of the reminders (set by remindRoutes if
// Console.Reminders was nil).
func (c *Console) planner() *remind.Planner { return c.Reminders }

// ruleView is one rule as the pages show it: its values, whether it is
// stored (else the configuration's), and the preview of its text.
type ruleView struct {
	Rule      remind.Rule
	Stored    bool
	Days      string // "3,1"
	Hours     string // "09:00-20:00"
	Roles     []roleBox
	Preview   string // the Chinese text with the signature, example values put in
	PreviewEN string
	Segments  int
	Variables []struct{ Name, About string }
}

type roleBox struct {
	Role    string
	Checked bool
}

func (c *Console) ruleView(rule remind.Rule, stored bool) *ruleView {
	v := &ruleView{Rule: rule, Stored: stored, Hours: rule.SendAt.String() + "-" + rule.Until.String(), Variables: remind.Variables}
	days := make([]string, len(rule.Days))
	for i, d := range rule.Days {
		days[i] = strconv.Itoa(d)
	}
	v.Days = strings.Join(days, ",")
	for _, role := range taxsms.ContactRoles {
		v.Roles = append(v.Roles, roleBox{Role: string(role), Checked: slices.Contains(rule.Roles, role)})
	}
	if rule.Template.Validate() == nil {
		v.Preview = rule.Template.Render(c.planner().Signature, remind.Example)
		v.PreviewEN = rule.Template.RenderEN(remind.Example)
		v.Segments = remind.Segments(v.Preview)
	}
	return v
}

// rules returns the rules in force and which of them are stored.
func (c *Console) rules(ctx context.Context) ([]remind.Rule, map[remind.RuleName]bool, error) {
	rules, _, err := c.planner().Current(ctx)
	if err != nil {
		return nil, nil, err
	}
	stored, err := c.DB.ReminderRules(ctx)
	if err != nil {
		return nil, nil, err
	}
	is := make(map[remind.RuleName]bool)
	for _, r := range stored {
		is[r.Name] = true
	}
	return rules, is, nil
}

// handleReminders serves GET /reminders: the four rules.
func (c *Console) handleReminders(w http.ResponseWriter, r *Request) error {
	if err := requireAny(r, auth.PermManageSettings, auth.PermReadAll); err != nil {
		return err
	}
	rules, stored, err := c.rules(r.Context())
	if err != nil {
		return err
	}
	var views []*ruleView
	for _, rule := range rules {
		views = append(views, c.ruleView(rule, stored[rule.Name]))
	}
	c.render(w, r, http.StatusOK, "reminders", &Page{Title: "remind.title", Data: views})
	return nil
}

// ruleFields are the fields of a rule's form.
var ruleFields = []string{"enabled", "roles", "days", "hours", "template_zh", "template_en"}

// findRule returns the rule in force named by the path, and whether it is
// stored.
func (c *Console) findRule(r *Request) (remind.Rule, bool, error) {
	name, err := remind.ParseRuleName(r.PathValue("rule"))
	if err != nil {
		return remind.Rule{}, false, taxsms.Errorf(taxsms.ENOTFOUND, "no such rule")
	}
	rules, stored, err := c.rules(r.Context())
	if err != nil {
		return remind.Rule{}, false, err
	}
	for _, rule := range rules {
		if rule.Name == name {
			return rule, stored[name], nil
		}
	}
	return remind.Rule{}, false, taxsms.Errorf(taxsms.ENOTFOUND, "no such rule")
}

// handleReminder serves GET /reminders/{rule}: the rule's form with the
// preview of its text.
func (c *Console) handleReminder(w http.ResponseWriter, r *Request) error {
	if err := requireAny(r, auth.PermManageSettings, auth.PermReadAll); err != nil {
		return err
	}
	rule, stored, err := c.findRule(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "reminder", &Page{Title: "remind.rule." + string(rule.Name), Data: c.ruleView(rule, stored), Form: newForm(r, ruleFields...)})
	return nil
}

// handleReminderPost serves POST /reminders/{rule}: action "preview" shows
// the form's texts rendered, "save" validates and stores the rule, "reset"
// returns it to the configuration's.
func (c *Console) handleReminderPost(w http.ResponseWriter, r *Request) error {
	old, stored, err := c.findRule(r)
	if err != nil {
		return err
	}
	f := newForm(r, ruleFields...)
	if f.Get("action") == "reset" {
		if err := c.DB.ResetReminderRule(r.Context(), old.Name); err != nil && taxsms.ErrorCode(err) != taxsms.ENOTFOUND {
			return err
		}
		c.redirect(w, r, "/reminders/"+string(old.Name), "remind.reset_done")
		return nil
	}
	rule := remind.Rule{Name: old.Name, Enabled: f.Get("enabled") == "on",
		Template: remind.Template{ZH: strings.TrimSpace(f.Values.Get("template_zh")), EN: strings.TrimSpace(f.Values.Get("template_en"))}}
	for _, s := range f.Values["roles"] {
		rule.Roles = append(rule.Roles, taxsms.ContactRole(s))
	}
	for _, s := range strings.FieldsFunc(f.Get("days"), func(r rune) bool { return r == ',' || r == ' ' || r == '，' }) {
		n, err := strconv.Atoi(s)
		if err != nil {
			f.Fail("days", c.T(r, "remind.bad_days", s))
			continue
		}
		rule.Days = append(rule.Days, n)
	}
	if s, err := calendar.ParseSessions(f.Get("hours")); err != nil || len(s) != 1 {
		f.Fail("hours", c.T(r, "remind.bad_hours"))
	} else {
		rule.SendAt, rule.Until = s[0].Open, s[0].Close
	}
	if f.OK() {
		if err := rule.Validate(); err != nil {
			if taxsms.ErrorField(err) == "send_at" {
				err = taxsms.Invalid("hours", "%s", taxsms.ErrorMessage(err))
			}
			if err := c.failWith(r, f, err); err != nil {
				return err
			}
		}
	}
	view := c.ruleView(rule, stored)
	view.Days, view.Hours = f.Get("days"), f.Get("hours")
	page := &Page{Title: "remind.rule." + string(rule.Name), Data: view, Form: f}
	if !f.OK() {
		c.render(w, r, http.StatusBadRequest, "reminder", page)
		return nil
	}
	if f.Get("action") == "preview" {
		c.render(w, r, http.StatusOK, "reminder", page)
		return nil
	}
	if err := c.DB.SetReminderRule(r.Context(), rule); err != nil {
		if err := c.failWith(r, f, err); err != nil {
			return err
		}
		c.render(w, r, http.StatusBadRequest, "reminder", page)
		return nil
	}
	c.redirect(w, r, "/reminders/"+string(rule.Name), "remind.saved")
	return nil
}

// planView is the plan page's data.
type planView struct {
	Date   string
	Plan   *remind.Plan
	Rules  []rulePlanView
	Ran    bool
	CanRun bool
}

type rulePlanView struct {
	remind.RulePlan
	Offices []officeCount
}

type officeCount struct {
	Name     string
	Messages int
}

// planDate returns the date of the plan page: the form's, else today in the
// bureau's zone.
func (c *Console) planDate(r *Request, f *Form) (taxsms.Date, error) {
	if s := f.Get("date"); s != "" {
		d, err := taxsms.ParseDate(s)
		if err != nil {
			return taxsms.Date{}, taxsms.Invalid("date", "%s", taxsms.ErrorMessage(err))
		}
		return d, nil
	}
	return taxsms.DateOf(c.Now().In(calendar.Shanghai)), nil
}

// handlePlan serves GET /plan?date=D: what each rule would send on D, per
// office, with samples; nothing is sent.
func (c *Console) handlePlan(w http.ResponseWriter, r *Request) error {
	if err := requireAny(r, auth.PermManageSettings, auth.PermReadAll); err != nil {
		return err
	}
	f := newForm(r, "date")
	day, err := c.planDate(r, f)
	if err != nil {
		if err := c.failWith(r, f, err); err != nil {
			return err
		}
		c.render(w, r, http.StatusBadRequest, "plan", &Page{Title: "plan.title", Form: f, Data: &planView{Date: f.Get("date")}})
		return nil
	}
	// The plan reads every taxpayer of the city, as the scheduler does:
	// hence the page is for those who manage settings or read everything.
	plan, err := c.planner().Plan(r.Context(), day)
	if err != nil {
		return err
	}
	return c.renderPlan(w, r, f, plan, false)
}

// handlePlanRun serves POST /plan: runs the rules of the date now (what was
// queued before is not queued again) and shows the plan with the counts
// queued.
func (c *Console) handlePlanRun(w http.ResponseWriter, r *Request) error {
	f := newForm(r, "date")
	day, err := c.planDate(r, f)
	if err != nil {
		return err
	}
	// Queueing is the platform's own work, as the scheduler's: it runs
	// without the user's scope and to its end if the browser goes.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	plan, err := c.planner().Run(ctx, day)
	if err != nil {
		return err
	}
	c.logger.Info("reminders run from the console", "user", r.Actor.Login, "date", day)
	return c.renderPlan(w, r, f, plan, true)
}

func (c *Console) renderPlan(w http.ResponseWriter, r *Request, f *Form, plan *remind.Plan, ran bool) error {
	v := &planView{Date: plan.Date.String(), Plan: plan, Ran: ran, CanRun: r.Actor.Has(auth.PermManageSettings)}
	names := make(map[int64]string)
	for _, rp := range plan.Rules {
		rv := rulePlanView{RulePlan: rp}
		for id, n := range rp.ByOffice {
			name, ok := names[id]
			if !ok {
				name = "#" + strconv.FormatInt(id, 10)
				if o, err := c.DB.FindOffice(r.Context(), id); err == nil {
					name = o.Name
				}
				names[id] = name
			}
			rv.Offices = append(rv.Offices, officeCount{Name: name, Messages: n})
		}
		slices.SortFunc(rv.Offices, func(a, b officeCount) int { return b.Messages - a.Messages })
		v.Rules = append(v.Rules, rv)
	}
	f.Values.Set("date", v.Date)
	c.render(w, r, http.StatusOK, "plan", &Page{Title: "plan.title", Form: f, Data: v})
	return nil
}

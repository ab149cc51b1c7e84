package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"taxsms"
	"taxsms/auth"
	"taxsms/calendar"
	"taxsms/campaign"
	"taxsms/importer"
	"taxsms/pii"
	"taxsms/simulator"
	"taxsms/store"
	"taxsms/synth"
)

// Demo builds a synthetic city on first run and serves it. Started again on
// the same directory, it reuses what is there.
type Demo struct {
	Stdout, Stderr io.Writer
	Main           *Main // set while it runs

	carriers    *localCarriers
	broadcastID int64 // the broadcast this run sends, 0 for none
}

// Summary is the JSON line that ends "taxsms demo --once".
type Summary struct {
	Demo      string `json:"demo"`
	Data      string `json:"data"`
	Engine    string `json:"engine"`
	Built     bool   `json:"built"`
	BuildMS   int64  `json:"build_ms"`
	Offices   int    `json:"offices"`
	Staff     int    `json:"staff"`
	Taxpayers int    `json:"taxpayers"`
	Contacts  int    `json:"contacts"`
	Messages  int    `json:"messages"`
	Searches  int    `json:"searches_checked"`
	Sent      int    `json:"sent"` // reminders queued by this run
	// Reminders are the reminders queued, by rule.
	Reminders map[string]int `json:"reminders"`
	Delivered int            `json:"delivered"`
	Failed    int            `json:"failed"`
	MO        int            `json:"mo_received"`
	Replies   int            `json:"replies"` // to the MO, each settled
	SendMS    int64          `json:"send_ms"`
	// Logins are the console accounts printed at start-up, one per role;
	// SignIns how many of them signed in to the console and saw the
	// dashboard.
	Logins  []string `json:"logins"`
	SignIns int      `json:"console_sign_ins"`
	// Broadcast is the broadcast this run composed, approved and sent.
	Broadcast *BroadcastSummary `json:"broadcast"`
}

// BroadcastSummary is what became of the demo's broadcast; all zero on a
// run that found it sent already.
type BroadcastSummary struct {
	Recipients int    `json:"recipients"` // messages it queued, one a distinct number
	Delivered  int    `json:"delivered"`
	Failed     int    `json:"failed"`
	Emergency  bool   `json:"emergency"` // sent outside working hours, as an emergency
	State      string `json:"state"`     // "completed" once every message has its final status
}

// Run runs "taxsms demo".
func (d *Demo) Run(ctx context.Context, args, environ []string) error {
	fset := flag.NewFlagSet("demo", flag.ContinueOnError)
	fset.SetOutput(d.Stderr)
	dir := fset.String("data", "taxsms-demo", "data directory: its database, keys and generated files")
	addr := fset.String("addr", "localhost:8080", "address to serve on")
	once := fset.Bool("once", false, "build, run the scenario, print a JSON summary line and exit")
	n := fset.Int("taxpayers", 10000, "number of synthetic taxpayers of a new city")
	seed := fset.Uint64("seed", 12366, "seed of the synthetic city")
	fset.Usage = func() {
		fmt.Fprintf(fset.Output(), "Usage: taxsms demo [flags]\n\nBuilds a synthetic city (a municipal bureau, 8 branches, about 40 staff, taxpayers and\ntheir contacts) in an empty data directory, then serves it. Started again on the same\ndirectory, it reuses the data.\n\n")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		return err
	}
	cfgPath, err := demoConfig(*dir)
	if err != nil {
		return err
	}
	m := NewMain(environ, d.Stdout, d.Stderr)
	d.Main = m
	addrFlag := *addr
	if *once {
		addrFlag = "127.0.0.1:0" // nothing to browse: take any free port
	}
	if err := m.ParseFlags(m.FlagSet("demo", ""), []string{"-config", cfgPath, "-http.addr", addrFlag}); err != nil {
		return err
	}
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	period, due := demoPeriod(calendar.Default(), taxsms.DateOf(time.Now().In(calendar.Shanghai)))
	err = d.run(ctx, m, *dir, cfgPath, synth.Config{Seed: *seed, Taxpayers: *n, Period: period, FilingDue: due}, *once)
	return errors.Join(err, m.Close(), d.closeCarriers())
}

// run builds or reuses the city, starts the carriers and the node, and
// runs the scenario.
func (d *Demo) run(ctx context.Context, m *Main, dir, cfgPath string, city synth.Config, once bool) error {
	sum := Summary{Demo: "ok", Data: dir, Engine: m.DB.Engine()}
	counts, err := m.DB.Count(ctx)
	if err != nil {
		return err
	}
	if counts.Taxpayers == 0 {
		start := time.Now()
		if err := d.build(ctx, m.DB, filepath.Join(dir, "city"), city); err != nil {
			return err
		}
		sum.Built, sum.BuildMS = true, time.Since(start).Milliseconds()
	} else {
		fmt.Fprintf(d.Stdout, "reusing the city in %s\n", dir)
	}
	if sum.Searches, err = d.scenario(ctx, m.DB); err != nil {
		return fmt.Errorf("demo scenario: %w", err)
	}
	accounts, err := demoAccounts(ctx, m.DB)
	if err != nil {
		return fmt.Errorf("demo accounts: %w", err)
	}
	for _, a := range accounts {
		sum.Logins = append(sum.Logins, a.Login)
	}
	if d.carriers, err = startLocalCarriers(ctx, nil); err != nil {
		return err
	}
	m.Config.Links, m.LinkOptions = d.carriers.Links, d.carriers.Options
	before, err := m.DB.CountByStatus(ctx, taxsms.MT)
	if err != nil {
		return err
	}
	moBefore, err := m.DB.CountByStatus(ctx, taxsms.MO)
	if err != nil {
		return err
	}
	if err := d.remind(ctx, m, &sum); err != nil {
		return fmt.Errorf("demo reminders: %w", err)
	}
	if sum.Broadcast, err = d.broadcast(ctx, m); err != nil {
		return fmt.Errorf("demo broadcast: %w", err)
	}
	if err := m.Run(ctx); err != nil {
		return err
	}
	if err := d.send(ctx, m, &sum, before, moBefore); err != nil {
		return fmt.Errorf("demo sending: %w", err)
	}
	if counts, err = m.DB.Count(ctx); err != nil {
		return err
	}
	sum.Offices, sum.Staff, sum.Taxpayers, sum.Contacts, sum.Messages = counts.Offices, counts.Users, counts.Taxpayers, counts.Contacts, counts.Messages
	if sum.SignIns, err = checkSignIns(ctx, m.Web.URL(), accounts); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if once {
		return json.NewEncoder(d.Stdout).Encode(sum)
	}
	fmt.Fprintf(d.Stdout, "\ntaxsms demo is serving %s\n  console:     %s/ (sign in with an account below)\n  metrics:     %s/metrics\n  data:        %s (configuration in %s)\n"+
		"  carriers:    simulated in this process (CMPP %s, SGIP %s, SMGP %s)\n",
		m.Web.URL(), m.Web.URL(), m.Web.URL(), dir, cfgPath,
		d.carriers.Sim.Addr(simulator.CMPP), d.carriers.Sim.Addr(simulator.SGIP), d.carriers.Sim.Addr(simulator.SMGP))
	fmt.Fprintf(d.Stdout, "\nConsole accounts, one per role (new passwords at every start):\n")
	for _, a := range accounts {
		fmt.Fprintf(d.Stdout, "  %-13s login %-16s password %s\n", a.Role, a.Login, a.Password)
	}
	fmt.Fprintf(d.Stdout, "Press Ctrl-C to stop.\n")
	<-ctx.Done()
	return nil
}

func (d *Demo) closeCarriers() error {
	if d.carriers == nil {
		return nil
	}
	return d.carriers.Close()
}

// remind queues today's reminders of the city's tax data through the
// node's planner (the scheduler, started next, finds them queued) and
// counts them in sum.
func (d *Demo) remind(ctx context.Context, m *Main, sum *Summary) error {
	p, err := m.planner()
	if err != nil {
		return err
	}
	today := taxsms.DateOf(time.Now().In(calendar.Shanghai))
	plan, err := p.Run(ctx, today)
	if err != nil {
		return err
	}
	sum.Reminders = make(map[string]int)
	for _, rp := range plan.Rules {
		sum.Reminders[string(rp.Rule)] = rp.Queued
		sum.Sent += rp.Queued
	}
	return nil
}

// send injects an MO and waits until every reminder queued (sum.Sent)
// and every message of the broadcast has its final status, counting from
// the MT and MO statuses before.
func (d *Demo) send(ctx context.Context, m *Main, sum *Summary, before, moBefore map[taxsms.Status]int) error {
	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := m.Router.Ready(readyCtx); err != nil {
		return fmt.Errorf("carrier links: %w", err)
	}
	start := time.Now()
	from, err := d.someContacts(ctx, m, len(demoTexts))
	if err != nil {
		return err
	}
	for i, text := range demoTexts {
		mo := simulator.MO{Protocol: simulator.CMPP, Account: "901234", From: from[i], To: "1063532123661", Text: text}
		if err := d.carriers.Sim.InjectMO(ctx, mo); err != nil {
			return fmt.Errorf("inject MO: %w", err)
		}
	}
	fmt.Fprintf(d.Stdout, "sending %d reminders through the simulated carriers: %d before the filing deadline, %d after it, %d of unpaid tax, %d of failed deductions\n",
		sum.Sent, sum.Reminders["before_deadline"], sum.Reminders["after_deadline"], sum.Reminders["unpaid_tax"], sum.Reminders["failed_deduction"])
	deadline := time.Now().Add(2 * time.Minute)
	for {
		now, err := m.DB.CountByStatus(ctx, taxsms.MT)
		if err != nil {
			return err
		}
		mo, err := m.DB.CountByStatus(ctx, taxsms.MO)
		if err != nil {
			return err
		}
		sum.Delivered = now[taxsms.StatusDelivered] - before[taxsms.StatusDelivered]
		sum.Failed = now[taxsms.StatusFailed] - before[taxsms.StatusFailed]
		sum.MO = mo[taxsms.StatusReceived] - moBefore[taxsms.StatusReceived]
		// A simulator restarted within the same second may repeat an MO's
		// carrier id, which the store drops as a duplicate: wait for the MO
		// a few seconds only.
		// Each MO is answered by one reply, which settles too.
		if sum.Delivered+sum.Failed >= sum.Sent+sum.MO+sum.Broadcast.Recipients && (sum.MO >= len(demoTexts) || time.Since(start) > 5*time.Second) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after 2 minutes %d of %d messages have their final status: %v", sum.Delivered+sum.Failed, sum.Sent+sum.Broadcast.Recipients, now)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	sum.SendMS = time.Since(start).Milliseconds()
	sum.Replies = sum.MO
	fmt.Fprintf(d.Stdout, "sent %d reminders, %d broadcast messages and %d replies to the %d MO received: %d delivered, %d failed (the simulator fails 2%%)\n",
		sum.Sent, sum.Broadcast.Recipients, sum.MO, sum.MO, sum.Delivered, sum.Failed)
	if d.broadcastID != 0 {
		// One step of the scheduler now, not at its next tick, completes
		// the broadcast whose messages all settled.
		if _, err := m.Campaigns.Service.Run(ctx); err != nil {
			return err
		}
		c, err := m.DB.FindCampaign(auth.NewContext(ctx, nil), d.broadcastID)
		if err != nil {
			return err
		}
		p, err := m.DB.CampaignProgress(ctx, d.broadcastID)
		if err != nil {
			return err
		}
		sum.Broadcast.Delivered, sum.Broadcast.Failed, sum.Broadcast.State = p.Delivered, p.Failed, string(c.State)
		fmt.Fprintf(d.Stdout, "broadcast sent to %d: %d delivered, %d failed; %s\n", p.Messages, p.Delivered, p.Failed, c.State)
	}
	replies, err := m.DB.ListMessages(ctx, taxsms.MessageFilter{Kind: taxsms.KindReply, Limit: sum.MO})
	if err != nil {
		return err
	}
	for _, r := range replies {
		fmt.Fprintf(d.Stdout, "  reply to %s: %s\n", taxsms.MaskMobile(r.Mobile), r.Body)
	}
	return nil
}

// demoPeriod returns the tax period of a new demo city and its deadline,
// chosen so that reminders go on the day the city is built: on a working
// day, the deadline is 3 working days ahead (reminders before it, and
// failed deductions); on a rest day, it was yesterday (unpaid tax, and
// failed deductions). The period is the month before the deadline's.
func demoPeriod(cal *calendar.Calendar, today taxsms.Date) (taxsms.Period, taxsms.Date) {
	due := taxsms.DateOf(today.Time(time.UTC).AddDate(0, 0, -1))
	if cal.IsWorkday(today) {
		due = cal.AddWorkdays(today, 3)
	}
	return taxsms.PeriodOf(taxsms.Monthly, taxsms.DateOf(due.Time(time.UTC).AddDate(0, -1, 1-due.Day))), due
}

// someContacts returns the numbers of n taxpayers' active contacts, for
// the demo's MO.
func (d *Demo) someContacts(ctx context.Context, m *Main, n int) ([]string, error) {
	page, err := m.DB.ListTaxpayers(ctx, taxsms.TaxpayerFilter{Limit: 50})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, tp := range page {
		cs, err := m.DB.ListContacts(ctx, tp.ID)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if c.Status == taxsms.ServiceActive && len(out) < n {
				out = append(out, c.Mobile)
				break
			}
		}
	}
	if len(out) < n {
		return nil, fmt.Errorf("only %d of the first 50 taxpayers have an active contact, want %d", len(out), n)
	}
	return out, nil
}

// demoTexts are what the demo's taxpayers text: each service once.
var demoTexts = []string{"CX 我的税收管理员是谁", "FP 3702191130 12345678", "ZX 个税汇算什么时候截止", "TS 办税服务厅排队太久", "TD"}

// demoConfig returns the configuration file of a demo directory, writing one
// with fresh keys on first use.
func demoConfig(dir string) (string, error) {
	path := filepath.Join(dir, "taxsms.toml")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	text := fmt.Sprintf(`# taxsms demo configuration, written on first run. It holds this demo's keys:
# keep it private (mode 0600) and never reuse these keys in production.
database = "sqlite:%s"

[secret]
keys = "1:%s"
lookup_key = "%s"

[remind]
# The demo's reminders go at any hour, so that they are seen at once.
hours = "00:00-24:00"
`, filepath.ToSlash(filepath.Join(dir, "taxsms.db")), pii.NewKey(), pii.NewKey())
	return path, os.WriteFile(path, []byte(text), 0o600)
}

// build writes the synthetic city's files and imports them through the
// same path as "taxsms import".
func (d *Demo) build(ctx context.Context, db *store.DB, dir string, cfg synth.Config) error {
	fmt.Fprintf(d.Stdout, "building a synthetic city of %d taxpayers in %s\n", cfg.Taxpayers, dir)
	files, err := synth.Write(dir, cfg)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		kind importer.Kind
		path string
	}{{importer.Offices, files.Offices}, {importer.Users, files.Users}, {importer.Taxpayers, files.Taxpayers}, {importer.Contacts, files.Contacts},
		{importer.Obligations, files.Obligations}, {importer.Filings, files.Filings}, {importer.Payments, files.Payments}, {importer.Deductions, files.Deductions}} {
		rep, err := importer.File(ctx, db, f.kind, f.path, importer.Options{})
		if err != nil {
			if rep != nil {
				fmt.Fprint(d.Stderr, rep.String())
			}
			return fmt.Errorf("import %s: %w", f.path, err)
		}
		fmt.Fprint(d.Stdout, rep.String())
	}
	return nil
}

// scenario exercises the city as staff would and returns how many checks
// passed; any failed check is an error.
func (d *Demo) scenario(ctx context.Context, db *store.DB) (int, error) {
	checks := 0
	page, err := db.ListTaxpayers(ctx, taxsms.TaxpayerFilter{Limit: 1})
	if err != nil || len(page) == 0 {
		return checks, fmt.Errorf("list taxpayers: %d found, %v", len(page), err)
	}
	tp := page[0]
	byID, err := db.FindTaxpayerByIdentifier(ctx, tp.Identifier)
	if err != nil || byID.ID != tp.ID {
		return checks, fmt.Errorf("find by identifier %s: %v", tp.Identifier, err)
	}
	checks++
	contacts, err := db.ListContacts(ctx, tp.ID)
	if err != nil {
		return checks, err
	}
	if len(contacts) > 0 {
		byMobile, err := db.ListTaxpayers(ctx, taxsms.TaxpayerFilter{Mobile: contacts[0].Mobile})
		if err != nil || len(byMobile) == 0 {
			return checks, fmt.Errorf("find by mobile %s: %v", taxsms.MaskMobile(contacts[0].Mobile), err)
		}
		checks++
	}
	name := []rune(tp.Name)
	if len(name) >= 4 {
		hits, err := db.ListTaxpayers(ctx, taxsms.TaxpayerFilter{NameContains: string(name[2:4])})
		if err != nil || len(hits) == 0 {
			return checks, fmt.Errorf("search name containing %q: %v", string(name[2:4]), err)
		}
		checks++
	}
	sub, err := db.ListTaxpayers(ctx, taxsms.TaxpayerFilter{Subtree: tp.OfficeID, Limit: 10})
	if err != nil || len(sub) == 0 {
		return checks, fmt.Errorf("list office subtree: %v", err)
	}
	checks++
	fmt.Fprintf(d.Stdout, "scenario: %d look-ups by identifier, number, name and office answered\n", checks)
	return checks, nil
}

// demoBroadcastTitle names the demo's broadcast: a run reusing the city
// finds it and sends nothing again.
const demoBroadcastTitle = "演示广播：征期提醒"

// demoBroadcastTaxpayers is how many of a branch's taxpayers the demo's
// broadcast goes to.
const demoBroadcastTaxpayers = 20

// broadcast prepares the demo's broadcast before the node starts, so that
// the scheduler's first tick sends it: the city administrator uploads a
// list of a branch's first taxpayers (as CSV, through campaign.ParseList)
// and composes a reminder to them on behalf of the branch; the text is
// checked and the audience counted; it is submitted, approved by the
// branch's administrator (the author may not approve their own) and
// scheduled for now. Outside the branch's working hours it goes as an
// emergency, with its reason, so that the demo shows it sent at any hour.
// It returns the recipients it will reach and sets d.broadcastID.
func (d *Demo) broadcast(ctx context.Context, m *Main) (*BroadcastSummary, error) {
	out := &BroadcastSummary{}
	done, err := m.DB.ListCampaigns(ctx, taxsms.CampaignFilter{Limit: 100})
	if err != nil {
		return nil, err
	}
	for _, c := range done {
		if c.Title == demoBroadcastTitle {
			fmt.Fprintf(d.Stdout, "broadcast: %q was sent by an earlier run (%s)\n", c.Title, c.State)
			return out, nil
		}
	}
	city, err := demoUser(ctx, m.DB, taxsms.RoleCityAdmin)
	if err != nil {
		return nil, err
	}
	branch, err := demoUser(ctx, m.DB, taxsms.RoleBranchAdmin)
	if err != nil {
		return nil, err
	}
	if city == nil || branch == nil {
		return nil, fmt.Errorf("the city has no city or branch administrator")
	}
	act := func(u *taxsms.User) (context.Context, error) {
		a, err := m.DB.UserActor(ctx, u.ID)
		return auth.NewContext(ctx, a), err
	}
	author, err := act(city)
	if err != nil {
		return nil, err
	}
	approver, err := act(branch)
	if err != nil {
		return nil, err
	}
	p, err := m.planner()
	if err != nil {
		return nil, err
	}
	svc := &campaign.Service{DB: m.DB, Prices: m.DB, Calendar: p.CurrentCalendar, Signature: m.Config.Signature, Logger: m.Logger}

	tps, err := m.DB.ListTaxpayers(ctx, taxsms.TaxpayerFilter{Subtree: branch.OfficeID, Limit: demoBroadcastTaxpayers})
	if err != nil {
		return nil, err
	}
	file := "纳税人识别号\n"
	for _, tp := range tps {
		file += tp.Identifier + "\n"
	}
	rows, err := campaign.ParseList("演示名单.csv", strings.NewReader(file))
	if err != nil {
		return nil, err
	}
	list := &taxsms.RecipientList{OfficeID: branch.OfficeID, Name: "演示名单"}
	if err := svc.CreateList(author, list, rows); err != nil {
		return nil, err
	}
	c := &taxsms.Campaign{OfficeID: branch.OfficeID, Kind: taxsms.KindSpecial, Title: demoBroadcastTitle,
		Template: "尊敬的{name}：本月纳税申报期限将至，请及时通过电子税务局办理申报。如有疑问请致电12366。",
		Audience: taxsms.Audience{Type: taxsms.AudienceList, ListID: list.ID}}
	hours, err := svc.Hours(ctx, branch.OfficeID)
	if err != nil {
		return nil, err
	}
	if !hours.Contains(time.Now()) {
		c.Emergency, c.EmergencyReason = true, "演示：办公时间外立即发送"
	}
	if err := svc.Create(author, c); err != nil {
		return nil, err
	}
	rep, err := svc.Check(author, c.ID)
	if err != nil {
		return nil, err
	}
	est, err := svc.Estimate(author, c.ID)
	if err != nil {
		return nil, err
	}
	cost := "not priced (no tariff)"
	if est.Complete {
		cost = "¥" + taxsms.MilliYuan(est.CostMilliYuan).String()
	}
	fmt.Fprintf(d.Stdout, "broadcast: %q to a list of %d taxpayers; content check %s; %d recipients (%d duplicates, %d excluded), %d segments, %s\n",
		c.Title, list.Taxpayers, rep.String(), est.Count.Recipients, est.Count.Duplicates, excludedOf(est.Count), est.Count.Segments, cost)
	if _, err := svc.Submit(author, c.ID); err != nil {
		return nil, err
	}
	override := ""
	if !rep.Clean() {
		override = "演示：内容已人工核对"
	}
	if _, err := svc.Approve(approver, c.ID, override); err != nil {
		return nil, err
	}
	if c, err = svc.Schedule(author, c.ID, time.Time{}); err != nil {
		return nil, err
	}
	how := "within the branch's working hours"
	if c.Emergency {
		how = "as an emergency, outside the branch's working hours"
	}
	fmt.Fprintf(d.Stdout, "broadcast: composed by %s, approved by %s, scheduled to go now %s\n", city.Login, branch.Login, how)
	d.broadcastID = c.ID
	out.Recipients, out.Emergency = est.Count.Recipients, c.Emergency
	return out, nil
}

func excludedOf(n taxsms.AudienceCount) int {
	t := 0
	for _, v := range n.Excluded {
		t += v
	}
	return t
}

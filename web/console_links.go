package web

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/carrier"
)

// linkSwitch is what the links page needs to disable and enable a link:
// the carrier router satisfies it. A Console.Links without it shows the
// links without the buttons.
type linkSwitch interface {
	SetEnabled(name string, on bool) error
}

// linkMeter keeps the last reading of the links' segment counts, so that
// the links page can show each link's throughput over the time since.
type linkMeter struct {
	mu       sync.Mutex
	at       time.Time
	segments map[string]int64
}

// minMeterInterval is the least time between two readings a throughput is
// computed over; a page seen sooner reuses the previous figure.
const minMeterInterval = 2 * time.Second

// rates returns the segments per second of each link of hs since the
// previous reading at least minMeterInterval old (none on the first), and
// takes hs as the new reading.
func (m *linkMeter) rates(now time.Time, hs []carrier.Health) map[string]float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]float64)
	elapsed := now.Sub(m.at)
	if m.segments == nil || elapsed < minMeterInterval {
		if m.segments == nil {
			m.at, m.segments = now, segmentsOf(hs)
		}
		return nil
	}
	for _, h := range hs {
		if prev, ok := m.segments[h.Name]; ok && h.Segments >= prev {
			out[h.Name] = float64(h.Segments-prev) / elapsed.Seconds()
		}
	}
	m.at, m.segments = now, segmentsOf(hs)
	return out
}

func segmentsOf(hs []carrier.Health) map[string]int64 {
	m := make(map[string]int64, len(hs))
	for _, h := range hs {
		m[h.Name] = h.Segments
	}
	return m
}

// linkRow is one link on the links page.
type linkRow struct {
	carrier.Health
	State    string // off, up, partial or down, for its class
	StateKey string // the catalogue key of its text
	Rate     float64
	Rated    bool // Rate is known
}

// linksData is the data of the links page.
type linksData struct {
	Rows       []linkRow
	Switch     bool // the user may disable and enable links here
	Configured bool // the node runs carrier links
}

// canWatchLinks reports whether a may see the links page.
func canWatchLinks(a *auth.Actor) bool {
	return a.Has(auth.PermViewHealth) || a.Has(auth.PermManageCarriers)
}

// linkState returns h's state (the class) and the catalogue key of its
// text, as the dashboard shows them.
func linkState(h carrier.Health) (class, key string) {
	switch {
	case !h.Enabled:
		return "off", "link.disabled"
	case h.Connected == h.Sessions && h.Sessions > 0:
		return "up", "link.up"
	case h.Connected > 0:
		return "partial", "link.partial"
	}
	return "down", "link.down"
}

// handleLinks serves GET /links: each carrier link of this node with its
// state, sessions connected of those configured, window in use, throughput
// since the last look, counts of submits, segments, throttling, errors,
// drops, receipts and MO, and its last error; for holders of
// manage_carriers the buttons that disable and enable it. For holders of
// view_health or manage_carriers.
func (c *Console) handleLinks(w http.ResponseWriter, r *Request) error {
	if !canWatchLinks(r.Actor) {
		return errForbidden
	}
	d := &linksData{Configured: c.Links != nil}
	if c.Links != nil {
		hs := c.Links.Health()
		rates := c.links.rates(c.Now(), hs)
		for _, h := range hs {
			rate, ok := rates[h.Name]
			row := linkRow{Health: h, Rate: rate, Rated: ok}
			row.State, row.StateKey = linkState(h)
			d.Rows = append(d.Rows, row)
		}
		_, sw := c.Links.(linkSwitch)
		d.Switch = sw && r.Actor.Has(auth.PermManageCarriers)
	}
	c.render(w, r, http.StatusOK, "links", &Page{Title: "links.title", Data: d})
	return nil
}

// linkChange is the state of a link before and after a change, as the
// audit archive records it.
type linkChange struct {
	Enabled bool `json:"enabled"`
}

// handleLinkChange serves POST /links/{name}/disable and /enable (for
// holders of manage_carriers): the link stops taking messages, or takes
// them again, at once, on this node (carrier.Router.SetEnabled), and the
// change is recorded in the audit archive (audit.LinkChanged) with the
// reason given. A change the archive cannot record is undone.
func (c *Console) handleLinkChange(w http.ResponseWriter, r *Request) error {
	name, action := r.PathValue("name"), r.PathValue("action")
	on := action == "enable"
	if !on && action != "disable" {
		return taxsms.Errorf(taxsms.ENOTFOUND, "no action %q", action)
	}
	sw, ok := c.Links.(linkSwitch)
	if c.Links == nil || !ok {
		return taxsms.Errorf(taxsms.ENOTFOUND, "no link %q", name)
	}
	var before *carrier.Health
	for _, h := range c.Links.Health() {
		if h.Name == name {
			before = &h
		}
	}
	if before == nil {
		return taxsms.Errorf(taxsms.ENOTFOUND, "no link %q", name)
	}
	if before.Enabled == on {
		c.redirect(w, r, "/links", "links.unchanged", name)
		return nil
	}
	reason := newForm(r, "reason").Get("reason")
	if utf8.RuneCountInString(reason) > 200 {
		reason = excerpt(reason, 200)
	}
	if err := sw.SetEnabled(name, on); err != nil {
		return err
	}
	b, _ := json.Marshal(linkChange{Enabled: before.Enabled})
	a, _ := json.Marshal(linkChange{Enabled: on})
	e := audit.Entry{Actor: audit.User(r.Actor.UserID, r.Actor.Login, r.Actor.Role), Action: audit.LinkChanged,
		Object: audit.Object{Type: "link", ID: name}, Before: b, After: a, IP: r.Actor.IP,
		UserAgent: excerpt(r.UserAgent(), 200), Detail: action}
	if reason != "" {
		e.Detail += ": " + reason
	}
	if err := c.DB.AppendAudit(r.Context(), e); err != nil {
		if undo := sw.SetEnabled(name, !on); undo != nil {
			c.logger.Error("console: link change not recorded nor undone", "link", name, "err", undo)
		}
		return err
	}
	c.logger.Info("link changed in the console", "link", name, "enabled", on, "by", r.Actor.String())
	c.redirect(w, r, "/links", "links.done."+action, name)
	return nil
}

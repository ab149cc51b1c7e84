package carrier

import "taxsms"

// SetEnabled disables the link (on false) or enables it again, at once and
// safely while it sends: a disabled link takes no new submit (Send returns
// ErrUnavailable, so the router tries the carrier's other links, then its
// failovers, and the dispatcher retries what none took), while its sessions
// stay logged in so that the status reports and MO messages of what it sent
// still arrive. Submits already under way finish. The switch holds on this
// node until it restarts; the configuration decides after that.
//
// A link disabled in its configuration has no session to resume: enabling
// it is ECONFLICT. Setting the state it already has changes nothing and
// returns nil.
func (l *Link) SetEnabled(on bool) error {
	if on && !l.cfg.Enabled {
		return taxsms.Errorf(taxsms.ECONFLICT, "link %s is disabled in the configuration: enable it there and restart", l.cfg.Name)
	}
	l.off.Store(!on)
	return nil
}

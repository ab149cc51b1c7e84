package audit

import (
	"fmt"
	"time"

	"taxsms"
)

// Day is 24 hours; retention periods are counted in days.
const Day = 24 * time.Hour

// Retention periods (DOMAIN §4.5-§4.6).
const (
	// MinRetention is the shortest period anything is kept: six months
	// (Cybersecurity Law Art. 21(3)), counted as the longest six calendar
	// months, July to December.
	MinRetention = 184 * Day
	// DefaultAudit is how long audit records are kept by default: three
	// years (PIPL Art. 55-56), one of them leap.
	DefaultAudit = 1096 * Day
	// DefaultMessageContent is how long the text of messages is kept by
	// default: twelve months, leap or not.
	DefaultMessageContent = 366 * Day
)

// Retention is how long records are kept before they may be removed.
type Retention struct {
	Audit          time.Duration // audit records
	MessageContent time.Duration // the text of messages sent and received
}

// DefaultRetention returns three years of audit and twelve months of message content.
func DefaultRetention() Retention {
	return Retention{Audit: DefaultAudit, MessageContent: DefaultMessageContent}
}

// Validate returns an EINVALID *taxsms.Error naming the field ("audit" or
// "message_content") that is shorter than MinRetention.
func (r Retention) Validate() error {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"audit", r.Audit}, {"message_content", r.MessageContent}} {
		if f.d < MinRetention {
			return taxsms.Invalid(f.name, "retention of %s is under six months (%d days); the law asks for at least that", days(f.d), MinRetention/Day)
		}
	}
	return nil
}

// Cutoffs returns the instants before which audit records and message
// content may be removed at now.
func (r Retention) Cutoffs(now time.Time) (audit, content time.Time) {
	return now.Add(-r.Audit), now.Add(-r.MessageContent)
}

func days(d time.Duration) string { return fmt.Sprintf("%g days", d.Hours()/24) }

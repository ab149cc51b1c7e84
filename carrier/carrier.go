// Package carrier connects the platform to the carriers' SMS gateways: links
// configured per carrier and protocol (CMPP, SGIP, SMGP, SMPP), each a pool
// of sessions with a window and a rate limit over all its connections;
// routing of a number to a link by prefix, with a per-number override for
// ported numbers and failover while a link is down; segmentation as each
// link needs it; and the status reports and MO messages the gateways send
// back, handed to a Handler before they are acknowledged.
//
// Open (or OpenLink and NewRouter) starts the links; Router.Send routes a
// Message by the number's carrier (overrides first, then prefixes) to a link
// that is up, and Link.Send chooses the coding (UCS-2 on CMPP, SGIP and SMGP;
// GSM 7-bit when the text fits, else UCS-2, on SMPP), splits the text and
// submits every segment on one session. Each Part's MsgID is the form in
// which that segment's Receipt arrives, so dispatch matches them by string.
//
// Goroutines: each enabled link runs one per session (dial, log in, wait for
// the drop, redial after a back-off) and, for SGIP, one for our listener; the
// protocol sessions run theirs. All of them end in Close, which drains every
// window and logs out within Options.CloseTimeout.
//
// Known limits:
//   - A message whose session fails half way is finished on another session
//     of the link, and a message retried after an error is sent whole again:
//     segments may reach the handset twice. Segments of one message are sent
//     one after the other, not pipelined.
//   - The rate limit is per process: several nodes sharing one carrier
//     account must divide messages_per_second between them. The connection
//     limit is not: with Options.Slots the nodes lease a link's
//     max_connections slots, counted by link name (links of one account
//     must have the same name on every node), and a session dials only
//     while it holds one. A node that dies keeps its slots until their
//     lease (Options.SlotLease) lapses.
//   - Status reports of a state that is not final (ENROUTE, CMPP ACCEPTD,
//     SMPP intermediate notifications) are acknowledged and dropped.
//   - SMPP deliver_sm has no message id, so its Fragments have an empty MsgID.
//   - Refusal codes the protocol tables do not name (vendor codes) are taken
//     as temporary; dispatch bounds the retries.
//   - SGIP sessions close themselves when idle (SGIP has no keep-alive) and
//     are dialled again at once.
package carrier

import (
	"context"
	"errors"
	"time"

	"taxsms"
)

// Message is what dispatch asks a carrier to send: one text to one number.
type Message struct {
	ID       int64  // the platform's message id (logs, and the SMPP/CMPP reference)
	Mobile   string // 11 digits
	Text     string // the whole text, the signature included
	Kind     taxsms.Kind
	Priority taxsms.Priority
}

// Part is one segment as the carrier accepted it.
type Part struct {
	Seq   int    // 1-based
	MsgID string // the carrier's id, normalised (protocol.NormalizeID) so a receipt finds it
}

// Result is what Send did.
type Result struct {
	Carrier taxsms.Carrier
	Link    string // the link's name
	Coding  taxsms.Coding
	Parts   []Part // every segment, in order, when err is nil; those accepted before it otherwise

	// Abandoned holds what links given up on before this one accepted
	// (each with its Carrier, Link and Parts): a link that failed half way
	// through the message, before the router tried the next. The carriers
	// bill those segments.
	Abandoned []Result
}

// Errors of Send, tested with errors.Is. Any other error is a permanent
// refusal by the carrier (a *SubmitError says which code), after which the
// message fails.
var (
	// ErrNoRoute: no enabled link serves the number. Permanent until the
	// configuration changes; the message is rejected.
	ErrNoRoute = errors.New("no carrier link serves this number")
	// ErrUnavailable: every link that could serve the number is down, full
	// or closing. Retry later.
	ErrUnavailable = errors.New("carrier links unavailable")
	// ErrThrottled: the carrier asked us to slow down. Retry soon; it is
	// not a failure of the message.
	ErrThrottled = errors.New("carrier throttled")
	// ErrTemporary: the carrier refused with a code it documents as
	// temporary, or no answer came after every resend. Retry with back-off.
	ErrTemporary = errors.New("temporary carrier error")
)

// SubmitError is a carrier's refusal of a segment.
type SubmitError struct {
	Link      string
	Code      uint32 // the protocol's result or command_status
	Temporary bool   // errors.Is(err, ErrTemporary) reports it too
	Text      string
}

func (e *SubmitError) Error() string {
	return "carrier " + e.Link + " refused: " + e.Text
}

// Is makes a temporary SubmitError match ErrTemporary.
func (e *SubmitError) Is(target error) bool { return e.Temporary && target == ErrTemporary }

// Receipt is a status report for one segment, in the common form.
type Receipt struct {
	Link    string
	Carrier taxsms.Carrier
	MsgID   string // normalised, as in Part.MsgID
	Stat    string // DELIVRD, UNDELIV, EXPIRED, REJECTD, ...
	Err     string // the carrier's error code, "" or "000" when none
	Done    time.Time
}

// Delivered reports whether the segment reached the handset.
func (r Receipt) Delivered() bool { return r.Stat == "DELIVRD" || r.Stat == "DELIVERED" }

// Fragment is one inbound (MO) PDU: a whole short message, or one segment of
// a long one (Total > 1). Reassembly is the Handler's, so that every
// fragment can be stored before it is acknowledged.
type Fragment struct {
	Link     string
	Carrier  taxsms.Carrier
	MsgID    string // the carrier's id of this PDU, for dropping duplicates
	From     string // the sender, normalised to 11 digits when it is a mainland mobile
	To       string // the service number it was sent to, extension included
	Text     string // this PDU's text, decoded from its own coding
	Ref      int    // concatenation reference (0 when Total is 1)
	Total    int    // number of segments, 1 for a short message
	Seq      int    // this segment, from 1
	Received time.Time
}

// Handler receives what the gateways send. Each call happens before the
// PDU is acknowledged: an error makes the carrier send it again, so a
// Handler stores before it returns nil. Calls are concurrent.
type Handler interface {
	HandleReceipt(ctx context.Context, r Receipt) error
	HandleMO(ctx context.Context, f Fragment) error
}

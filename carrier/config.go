package carrier

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"taxsms"
	"taxsms/protocol/sms"
)

// Protocols a link speaks, as written in LinkConfig.Protocol.
const (
	ProtocolCMPP = "cmpp" // China Mobile, CMPP 2.0 or 3.0
	ProtocolSGIP = "sgip" // China Unicom, SGIP 1.2
	ProtocolSMGP = "smgp" // China Telecom, SMGP 3.0
	ProtocolSMPP = "smpp" // SMPP 3.4
)

// Concatenation methods of SMPP links, as written in LinkConfig.SMPPConcat.
const (
	ConcatUDH     = "udh"     // a 6-byte concatenation UDH in every segment (the default)
	ConcatSAR     = "sar"     // sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs
	ConcatPayload = "payload" // the whole text in one message_payload; the SMSC splits it
)

// LinkConfig is one carrier link: a carrier account reached over one
// protocol, with its own connections, window and rate. cmd/taxsms reads it
// from a [[link]] table of the TOML configuration. Zero numbers take the
// defaults named.
type LinkConfig struct {
	// Name identifies the link in logs, metrics, Result.Link and receipts.
	Name string `toml:"name"`
	// Carrier is the network whose numbers the link serves.
	Carrier taxsms.Carrier `toml:"carrier"`
	// Protocol is "cmpp", "sgip", "smgp" or "smpp"; Version the CMPP
	// version, "2.0" or "3.0" (default "3.0").
	Protocol string `toml:"protocol"`
	Version  string `toml:"version"`
	// Address is the gateway's host:port.
	Address string `toml:"address"`
	// Account is the login: CMPP Source_Addr (SP id), SGIP LoginName, SMGP
	// ClientID, SMPP system_id. Secret is its shared secret or password;
	// it is never logged, printed or shown (see String and LogValue).
	Account string `toml:"account"`
	Secret  string `toml:"secret"`
	// ServiceCode is CMPP Service_Id, SGIP ServiceType, SMGP ServiceID and
	// SMPP service_type (at most 5 characters there).
	ServiceCode string `toml:"service_code"`
	// SourceNumber is the number the user sees, e.g. "106353212366";
	// Extensions appends digits to it per kind of message (keys are
	// taxsms.Kind values: reply = "1", filing_reminder = "2", ...), so that
	// an answer tells which kind of message it answers.
	SourceNumber string            `toml:"source_number"`
	Extensions   map[string]string `toml:"extensions"`
	// Connections is the number of sessions (default 1), Window the
	// submits awaiting an answer on each (default 16).
	Connections int `toml:"connections"`
	Window      int `toml:"window"`
	// MaxConnections is how many sessions the carrier allows this account
	// at once, over every node that opens this link (default Connections:
	// nodes then share Connections sessions). Nodes that share a
	// PostgreSQL database lease the link's slots there (Options.Slots), so
	// a node opens one of its Connections sessions only while a slot is
	// free. It may not be less than Connections.
	MaxConnections int `toml:"max_connections"`
	// MessagesPerSecond bounds the submits per second over all the
	// link's connections, each segment of a long message counting as one
	// (the carriers count submit PDUs). 0 means no limit.
	MessagesPerSecond int `toml:"messages_per_second"`
	// Enabled links are dialled and routed to; a disabled one is kept for
	// its configuration and shown in Health.
	Enabled bool `toml:"enabled"`
	// ResponseTimeout is how long a submit waits for its answer before it
	// is resent (default the protocol's: 60 s, SGIP 30 s).
	ResponseTimeout time.Duration `toml:"response_timeout"`

	// ListenAddress (SGIP) is our listener, host:port, which the SMG dials
	// to deliver MO messages and Reports. Required for SGIP.
	ListenAddress string `toml:"listen_address"`
	// NodeID (SGIP) is our node id 3AAAAQQQQQ as agreed with the carrier;
	// its last five digits are the CorpId of every Submit.
	NodeID uint32 `toml:"node_id"`

	// SMPPIDRadix (SMPP) is how the SMSC prints message ids in
	// submit_sm_resp and receipted_message_id: "" (opaque text), "decimal"
	// or "hex". SMPPTextIDRadix is that of the receipt text's "id:"
	// (default SMPPIDRadix).
	SMPPIDRadix     string `toml:"smpp_id_radix"`
	SMPPTextIDRadix string `toml:"smpp_text_id_radix"`
	// SMPPConcat (SMPP) ties the segments of a long message: "udh"
	// (default), "sar" or "payload".
	SMPPConcat string `toml:"smpp_concat"`

	// Signature is the text the carrier appends to every message, e.g.
	// "【12366】", "" when it appends none. Segment counts leave room for
	// it, and a copy at the start or end of the text is removed before
	// sending so that the user sees it once.
	Signature string `toml:"signature"`
}

// String describes the link without its secret.
func (c LinkConfig) String() string {
	return fmt.Sprintf("link %s (%s %s %s account %s)", c.Name, c.Carrier, c.Protocol, c.Address, c.Account)
}

// LogValue makes slog print the link without its secret.
func (c LinkConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", c.Name),
		slog.String("carrier", string(c.Carrier)),
		slog.String("protocol", c.Protocol),
		slog.String("address", c.Address),
		slog.String("account", c.Account),
	)
}

// GoString keeps %#v from printing the secret.
func (c LinkConfig) GoString() string { return c.String() }

// connections returns the number of sessions, at least 1.
// Capacity is how many submits the link has unanswered at most: its
// connections times its window.
func (c *LinkConfig) Capacity() int { return c.connections() * c.window() }

func (c *LinkConfig) connections() int {
	if c.Connections <= 0 {
		return 1
	}
	return c.Connections
}

// maxConnections returns the sessions allowed over all nodes, at least
// the connections of one.
func (c *LinkConfig) maxConnections() int {
	return max(c.MaxConnections, c.connections())
}

// window returns the window of one session.
func (c *LinkConfig) window() int {
	if c.Window <= 0 {
		return 16
	}
	return c.Window
}

// source returns the number shown to the user for a message of kind k.
func (c *LinkConfig) source(k taxsms.Kind) string {
	return c.SourceNumber + c.Extensions[string(k)]
}

// concat returns how long messages are tied together.
func (c *LinkConfig) concat() sms.Concat {
	if c.Protocol == ProtocolSMPP {
		switch c.SMPPConcat {
		case ConcatSAR:
			return sms.ConcatSAR
		case ConcatPayload:
			return sms.ConcatPayload
		}
	}
	return sms.ConcatUDH8
}

// codings returns the codings the link may send text in, preferred first.
func (c *LinkConfig) codings() []sms.Coding {
	if c.Protocol == ProtocolSMPP {
		return []sms.Coding{sms.GSM7, sms.UCS2}
	}
	return []sms.Coding{sms.UCS2}
}

// Validate checks the configuration and returns an EINVALID *taxsms.Error
// naming the first bad field as "link[name].field".
func (c *LinkConfig) Validate() error {
	name := c.Name
	bad := func(field, format string, args ...any) error {
		return taxsms.Invalid("link["+name+"]."+field, format, args...)
	}
	if strings.TrimSpace(c.Name) == "" {
		name = "?"
		return bad("name", "required")
	}
	if !c.Carrier.Valid() {
		return bad("carrier", "%q is not mobile, unicom, telecom or broadnet", c.Carrier)
	}
	switch c.Protocol {
	case ProtocolCMPP:
		if c.Version != "" && c.Version != "2.0" && c.Version != "3.0" {
			return bad("version", "%q is not 2.0 or 3.0", c.Version)
		}
		if len(c.Account) > 6 {
			return bad("account", "a CMPP SP id has at most 6 characters, not %d", len(c.Account))
		}
	case ProtocolSGIP:
		if c.ListenAddress == "" {
			return bad("listen_address", "required for SGIP: the SMG delivers MO and reports there")
		}
		if _, _, err := net.SplitHostPort(c.ListenAddress); err != nil {
			return bad("listen_address", "%q is not host:port", c.ListenAddress)
		}
		if c.NodeID < 3000000000 || c.NodeID > 3999999999 {
			return bad("node_id", "%d is not an SP node id 3AAAAQQQQQ", c.NodeID)
		}
		if len(c.Account) > 16 || len(c.Secret) > 16 {
			return bad("account", "SGIP login name and password have at most 16 bytes")
		}
	case ProtocolSMGP:
		if len(c.Account) > 8 {
			return bad("account", "an SMGP ClientID has at most 8 bytes, not %d", len(c.Account))
		}
		if len(c.Secret) > 15 {
			return bad("secret", "an SMGP secret has at most 15 bytes")
		}
	case ProtocolSMPP:
		if len(c.Account) > 15 {
			return bad("account", "an SMPP system_id has at most 15 bytes, not %d", len(c.Account))
		}
		if len(c.Secret) > 8 {
			return bad("secret", "an SMPP password has at most 8 bytes")
		}
		if len(c.ServiceCode) > 5 {
			return bad("service_code", "an SMPP service_type has at most 5 characters")
		}
		for field, r := range map[string]string{"smpp_id_radix": c.SMPPIDRadix, "smpp_text_id_radix": c.SMPPTextIDRadix} {
			if r != "" && r != "decimal" && r != "hex" {
				return bad(field, "%q is not \"\", decimal or hex", r)
			}
		}
		switch c.SMPPConcat {
		case "", ConcatUDH, ConcatSAR, ConcatPayload:
		default:
			return bad("smpp_concat", "%q is not udh, sar or payload", c.SMPPConcat)
		}
	default:
		return bad("protocol", "%q is not cmpp, sgip, smgp or smpp", c.Protocol)
	}
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		return bad("address", "%q is not host:port", c.Address)
	}
	if c.Account == "" {
		return bad("account", "required")
	}
	if len(c.ServiceCode) > 10 {
		return bad("service_code", "at most 10 characters, not %d", len(c.ServiceCode))
	}
	if !digits(c.SourceNumber) {
		return bad("source_number", "%q is not a number", c.SourceNumber)
	}
	for kind, ext := range c.Extensions {
		if !taxsms.Kind(kind).Valid() {
			return bad("extensions", "%q is not a kind of message", kind)
		}
		if ext != "" && !digits(ext) {
			return bad("extensions", "%s: %q is not digits", kind, ext)
		}
		if n := len(c.SourceNumber) + len(ext); n > 20 {
			return bad("extensions", "%s: source number and extension have %d digits, at most 20", kind, n)
		}
	}
	if len(c.SourceNumber) > 20 {
		return bad("source_number", "at most 20 digits")
	}
	if c.Connections < 0 || c.Connections > 64 {
		return bad("connections", "%d is not between 1 and 64", c.Connections)
	}
	if c.MaxConnections != 0 && (c.MaxConnections < c.connections() || c.MaxConnections > 1024) {
		return bad("max_connections", "%d is not between connections (%d) and 1024", c.MaxConnections, c.connections())
	}
	if c.Window < 0 || c.Window > 256 || (c.Protocol == ProtocolSGIP && c.Window > 32) {
		return bad("window", "%d is out of range (SGIP allows at most 32)", c.Window)
	}
	if c.MessagesPerSecond < 0 {
		return bad("messages_per_second", "must not be negative")
	}
	if c.ResponseTimeout < 0 {
		return bad("response_timeout", "must not be negative")
	}
	return nil
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// corpID returns the SGIP CorpId: the last five digits of the node id.
func (c *LinkConfig) corpID() string {
	return fmt.Sprintf("%05d", c.NodeID%100000)
}

// Options are the settings of links that do not come from the configuration
// file: collaborators, clocks and timings. Zero fields take the defaults.
type Options struct {
	// Logger receives connection changes, refusals and inbound problems;
	// nil discards. Mobile numbers appear masked, secrets never.
	Logger *slog.Logger
	// Now is the clock of the rate limiter, Health and inbound times;
	// default time.Now.
	Now func() time.Time
	// MinBackoff and MaxBackoff bound the wait before redialling a session
	// that dropped or failed to log in: it doubles from MinBackoff (default
	// 1 s) up to MaxBackoff (default 30 s), with jitter, and starts again
	// after a successful login.
	MinBackoff, MaxBackoff time.Duration
	// ThrottlePause is how long a session takes no new submit after the
	// carrier throttled it (default 500 ms).
	ThrottlePause time.Duration
	// CloseTimeout bounds each session's graceful close: draining its
	// window and logging out (default 10 s).
	CloseTimeout time.Duration
	// Resends is how many times an unanswered submit is sent again
	// (default the protocol's, 3; negative for none).
	Resends int
	// Listen opens the SGIP listener; default net.ListenConfig.Listen.
	// Tests pass a listener opened beforehand.
	Listen func(ctx context.Context, network, addr string) (net.Listener, error)
	// Routes are the Router's tables (Open only).
	Routes Routes
	// Slots, if set, leases the links' connection slots among the nodes
	// that open the same links: a session dials only once it holds one of
	// its link's MaxConnections slots, renews it every SlotLease/3 while
	// up, and closes when it cannot. nil is one node, limited by
	// Connections alone.
	Slots Slots
	// SlotLease is how long a slot is leased at a time (default 30 s): the
	// slots of a node that died are free again after it.
	SlotLease time.Duration
}

func (o *Options) fill() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.ThrottlePause <= 0 {
		o.ThrottlePause = 500 * time.Millisecond
	}
	if o.SlotLease <= 0 {
		o.SlotLease = 30 * time.Second
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = 10 * time.Second
	}
	if o.Listen == nil {
		var lc net.ListenConfig
		o.Listen = lc.Listen
	}
}

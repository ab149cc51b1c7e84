package simulator

import (
	"fmt"
	"log/slog"
	"time"

	"taxsms/protocol/cmpp"
)

// Protocol names one of the four carrier protocols.
type Protocol string

// The protocols, as written in HTTP bodies, stats and flags.
const (
	CMPP Protocol = "cmpp" // China Mobile, port 7890
	SGIP Protocol = "sgip" // China Unicom, port 8801
	SMGP Protocol = "smgp" // China Telecom, port 8890
	SMPP Protocol = "smpp" // SMPP 3.4, port 2775
)

// Protocols returns the four protocols in a fixed order.
func Protocols() []Protocol { return []Protocol{CMPP, SGIP, SMGP, SMPP} }

// ParseProtocol returns the protocol named s (lower case), or an error.
func ParseProtocol(s string) (Protocol, error) {
	switch p := Protocol(s); p {
	case CMPP, SGIP, SMGP, SMPP:
		return p, nil
	}
	return "", fmt.Errorf("unknown protocol %q (want cmpp, sgip, smgp or smpp)", s)
}

// Account is one SP's login on one protocol.
type Account struct {
	// Secret is the shared secret (CMPP, SMGP), password (SGIP, SMPP).
	Secret string `json:"secret"`
	// MaxConns is how many links the account may have open at once; 0 means
	// no limit. One more is refused: CMPP Status 5, SGIP Result 3, SMGP
	// Status 2, SMPP ESME_RBINDFAIL. A CMPP login refused for its
	// authenticator holds its slot until the simulator has closed it.
	MaxConns int `json:"max_conns,omitempty"`
	// DeliverAddr (SGIP only) is the SP's own listener, host:port, which
	// the simulator dials (LoginType 2, logging in with the account and
	// Secret) to push MO messages and Reports. Empty: they stay queued.
	DeliverAddr string `json:"deliver_addr,omitempty"`
	// NodeID (SGIP only) is the SP's node id 3AAAAQQQQQ; when not zero,
	// a Submit whose SequenceNumber names another node is refused with
	// Result 9 (sequence number error).
	NodeID uint32 `json:"node_id,omitempty"`
}

// ListenConfig is one protocol's listener.
type ListenConfig struct {
	// Addr is the TCP address to listen on, ":0" for any free port;
	// empty leaves the protocol off.
	Addr string
	// Accounts maps login names (CMPP Source_Addr, SGIP LoginName, SMGP
	// ClientID, SMPP system_id) to their account.
	Accounts map[string]Account
}

// Failure is the outcome written in a failed status report.
type Failure struct {
	// Stat is the status word (UNDELIV, EXPIRED, REJECTD, DELETED, UNKNOWN).
	Stat string `json:"stat"`
	// Err is the three-digit error code (SMGP err:, SMPP err:, SGIP
	// ErrorCode as a number; CMPP carries only Stat).
	Err string `json:"err"`
}

// DefaultFailures are the failed outcomes used when Config.Failures is empty.
func DefaultFailures() []Failure {
	return []Failure{{Stat: "UNDELIV", Err: "001"}, {Stat: "EXPIRED", Err: "002"}}
}

// Config configures a Simulator. Zero values take the defaults named.
type Config struct {
	CMPP, SGIP, SMGP, SMPP ListenConfig

	// Window is how many submits one link may have awaiting their answer;
	// one more is answered with the throttle code. 0: no limit.
	Window int
	// Rate is how many submits per second one link may send (a token
	// bucket holding one second's worth); more are answered with the
	// throttle code. 0: no limit.
	Rate int

	// ReceiptDelay is how long after the submit its status report is due.
	ReceiptDelay time.Duration
	// FailureRate is the share (0 to 1) of status reports that say the
	// message failed, with one of Failures chosen at random.
	FailureRate float64
	Failures    []Failure
	// Faults are in force from the start; see SetFault.
	Faults map[Protocol]Fault

	// DeliverWindow is how many Deliver (and SGIP Report) PDUs each link
	// has in flight; default 16.
	DeliverWindow int
	// ResponseTimeout bounds the wait for the SP's answer to a Deliver,
	// MaxDeliverTries the tries of one Deliver and RedeliverDelay the
	// pause before trying again after a failure. Defaults 5 s, 5, 1 s.
	ResponseTimeout time.Duration
	MaxDeliverTries int
	RedeliverDelay  time.Duration
	// CloseTimeout bounds the graceful end of each link on Close; default
	// 1 s.
	CloseTimeout time.Duration
	// MaxQueued bounds the receipts and MO segments waiting per account;
	// beyond it new ones are dropped and counted. Default 1,000,000.
	MaxQueued int

	// CMPPVersion is the highest CMPP version served (default 3.0);
	// CMPPWideReport writes the 71-byte CMPP 3.0 status report.
	CMPPVersion    cmpp.Version
	CMPPWideReport bool
	// SGIPThrottle is the SGIP throttle Result: 11 (busy, default) or 88.
	SGIPThrottle uint8
	// SGIPNodeID is the simulator's own SGIP node id, written in the
	// sequence numbers of what it sends; default 1010001.
	SGIPNodeID uint32

	// Keep is how many recent submits Submits returns; default 1024,
	// negative keeps none.
	Keep int
	// OnSubmit, when set, is called with every accepted submit before it
	// is answered, from the link's handler goroutine; it must not block.
	OnSubmit func(Submit)
	// DuplicateWindow is how many recent segments duplicate detection
	// remembers; default 1 << 20.
	DuplicateWindow int

	// Seed seeds the choice of failed receipts and of faults given as
	// rates; the same seed and the same order of submits give the same
	// choices.
	Seed uint64
	// Now stamps message ids, report times and MO times; default time.Now.
	Now func() time.Time
	// Logger receives logins, drops and delivery failures; nil discards.
	Logger *slog.Logger
}

func (c *Config) withDefaults() Config {
	cfg := *c
	if cfg.DeliverWindow <= 0 {
		cfg.DeliverWindow = 16
	}
	if cfg.ResponseTimeout <= 0 {
		cfg.ResponseTimeout = 5 * time.Second
	}
	if cfg.MaxDeliverTries <= 0 {
		cfg.MaxDeliverTries = 5
	}
	if cfg.RedeliverDelay <= 0 {
		cfg.RedeliverDelay = time.Second
	}
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = time.Second
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = 1_000_000
	}
	if cfg.CMPPVersion == 0 {
		cfg.CMPPVersion = cmpp.V30
	}
	if cfg.SGIPThrottle == 0 {
		cfg.SGIPThrottle = 11
	}
	if cfg.SGIPNodeID == 0 {
		cfg.SGIPNodeID = 1010001
	}
	if cfg.Keep == 0 {
		cfg.Keep = 1024
	}
	if cfg.DuplicateWindow <= 0 {
		cfg.DuplicateWindow = 1 << 20
	}
	if len(cfg.Failures) == 0 {
		cfg.Failures = DefaultFailures()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

func (c *Config) listen(p Protocol) ListenConfig {
	switch p {
	case CMPP:
		return c.CMPP
	case SGIP:
		return c.SGIP
	case SMGP:
		return c.SMGP
	}
	return c.SMPP
}

// DefaultConfig returns the configuration of "taxsms smsc-sim": every
// protocol on its usual port with one demo account each (see
// DefaultAccounts), receipts after 100 ms, 2 % of them failed, window 16.
func DefaultConfig() Config {
	acc := DefaultAccounts()
	return Config{
		CMPP:         ListenConfig{Addr: "localhost:7890", Accounts: acc[CMPP]},
		SGIP:         ListenConfig{Addr: "localhost:8801", Accounts: acc[SGIP]},
		SMGP:         ListenConfig{Addr: "localhost:8890", Accounts: acc[SMGP]},
		SMPP:         ListenConfig{Addr: "localhost:2775", Accounts: acc[SMPP]},
		Window:       16,
		ReceiptDelay: 100 * time.Millisecond,
		FailureRate:  0.02,
	}
}

// DefaultAccounts returns the demo accounts: CMPP "901234"/"demo",
// SGIP "sp12366"/"demo" (dialling back to 127.0.0.1:8802, node 3010012366),
// SMGP "10612366"/"demo", SMPP "taxsms"/"demo".
func DefaultAccounts() map[Protocol]map[string]Account {
	return map[Protocol]map[string]Account{
		CMPP: {"901234": {Secret: "demo"}},
		SGIP: {"sp12366": {Secret: "demo", DeliverAddr: "127.0.0.1:8802", NodeID: 3010012366}},
		SMGP: {"10612366": {Secret: "demo"}},
		SMPP: {"taxsms": {Secret: "demo"}},
	}
}

package simulator

import (
	"time"

	"taxsms/protocol/sms"
)

// Submit is an accepted submit in a form common to the four protocols, as
// Simulator.Submits and Config.OnSubmit give it.
type Submit struct {
	Protocol Protocol
	Account  string
	// MsgID is the id the response gave, normalised (protocol.NormalizeID
	// form): what its receipts quote.
	MsgID string
	// Src is the number shown to the user, Dests the destinations.
	Src   string
	Dests []string
	// Coding is the content's coding (from Msg_Fmt, MessageCoding,
	// MsgFormat or data_coding).
	Coding sms.Coding
	// UDHI says Content starts with a user data header.
	UDHI    bool
	Content []byte
	// Ref, Total and Seq number the segment in its message (from the UDH,
	// CMPP Pk_*, SMGP PkTotal/PkNumber or SMPP sar_*); 1 and 1 when single.
	Ref        uint16
	Total, Seq int
	// Report says a status report was asked for.
	Report bool
	// Duplicate says the same segment was accepted before.
	Duplicate bool
	// Time is when it was accepted, by Config.Now.
	Time time.Time
}

// Text returns the segment's text without its UDH, decoded leniently (an
// undecodable byte becomes U+FFFD).
func (s *Submit) Text() string {
	text, _, _ := sms.DecodeContent(s.Content, s.Coding, s.UDHI, false, 0)
	return text
}

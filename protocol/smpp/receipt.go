package smpp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"taxsms/protocol"
)

// ReceiptText is the Appendix-B text of a delivery receipt, field by field, as
// the SMSC wrote it (trimmed).
type ReceiptText struct {
	ID, Sub, Dlvrd, SubmitDate, DoneDate, Stat, Err, Text string
}

// receiptKeys are the keys of the receipt text, lower case, longest first
// where one is a suffix of another.
var receiptKeys = [...]string{"submit date:", "submit_date:", "done date:", "done_date:", "dlvrd:", "stat:", "err:", "text:", "sub:", "id:"}

// ParseReceiptText reads the "id:... sub:... dlvrd:... submit date:...
// done date:... stat:... err:... text:..." text of a delivery receipt. It is
// tolerant: keys match in any case, with "_" for the space in the date keys,
// in any order, any may be missing, and everything after "text:" is the
// text. It reports false when the text has no "id:" key.
func ParseReceiptText(s string) (ReceiptText, bool) {
	lower := asciiLower(s) // same length as s, whatever its encoding
	type hit struct{ at, end int }
	var hits [len(receiptKeys)]hit
	for i := range hits {
		hits[i].at = -1
	}
	textAt := len(s)
	// A key counts only at the start or after a space; "text:" ends the scan.
	for i := 0; i < len(lower); i++ {
		if i > 0 && lower[i-1] != ' ' {
			continue
		}
		if i >= textAt {
			break
		}
		for k, key := range receiptKeys {
			if hits[k].at < 0 && strings.HasPrefix(lower[i:], key) {
				hits[k] = hit{at: i, end: i + len(key)}
				if key == "text:" {
					textAt = i
				}
				i += len(key) - 1
				break
			}
		}
	}
	value := func(k int) string {
		h := hits[k]
		if h.at < 0 {
			return ""
		}
		if receiptKeys[k] == "text:" {
			return strings.TrimSpace(s[h.end:])
		}
		stop := len(s)
		for _, o := range hits {
			if o.at >= h.end && o.at < stop {
				stop = o.at
			}
		}
		return strings.TrimSpace(s[h.end:stop])
	}
	first := func(a, b int) string {
		if v := value(a); v != "" {
			return v
		}
		return value(b)
	}
	r := ReceiptText{
		SubmitDate: first(0, 1),
		DoneDate:   first(2, 3),
		Dlvrd:      value(4),
		Stat:       value(5),
		Err:        value(6),
		Text:       value(7),
		Sub:        value(8),
		ID:         value(9),
	}
	return r, hits[9].at >= 0
}

// asciiLower lower-cases A-Z only, so that offsets in the result are
// offsets in s (strings.ToLower changes the length of invalid UTF-8).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// IDRadix says how an SMSC prints a message id.
type IDRadix uint8

// Id radixes.
const (
	// IDAsIs treats the id as an opaque string.
	IDAsIs IDRadix = 0
	// IDDecimal: the id is a decimal number.
	IDDecimal IDRadix = 10
	// IDHex: the id is a hexadecimal number.
	IDHex IDRadix = 16
)

// NormalizeID returns the form of an SMPP message id used to match receipts
// to submits. An id read as a number in radix r (IDDecimal or IDHex, up to 64
// bits) becomes that number in upper-case hex without leading zeros, so
// "0059113978" (decimal) and "38601fa" (hex) both give "38601FA". Any other
// id (IDAsIs, or not a number in r) is opaque: it is only passed through
// protocol.NormalizeID (spaces and NULs around it removed, upper case), so
// with IDAsIs the key of a receipt equals protocol.NormalizeID of the
// submit_sm_resp message_id, leading zeros included.
func NormalizeID(id string, r IDRadix) string {
	s := protocol.NormalizeID(id)
	if r == IDDecimal || r == IDHex {
		if n, err := strconv.ParseUint(s, int(r), 64); err == nil {
			return strings.ToUpper(strconv.FormatUint(n, 16))
		}
	}
	return s
}

// Dialect describes how one SMSC writes ids and dates, which the
// specification leaves open. The zero Dialect takes ids as opaque strings and
// dates as UTC.
type Dialect struct {
	// RespID is how submit_sm_resp message_id is printed.
	RespID IDRadix
	// ReceiptedID is how the receipted_message_id TLV is printed.
	ReceiptedID IDRadix
	// TextID is how "id:" in the receipt text is printed (often decimal
	// where the others are hex).
	TextID IDRadix
	// Location is the zone of the receipt dates; nil means UTC.
	Location *time.Location
}

// MsgID returns the normalised id of a submit_sm_resp, the key under which a
// receipt will look for the message. For the zero Dialect it is
// protocol.NormalizeID(r.MessageID); a Dialect with a radix must be used on
// both sides, here and in Receipt.
func (d Dialect) MsgID(r *SubmitResp) string { return NormalizeID(r.MessageID, d.RespID) }

// ErrNotReceipt is returned by Dialect.Receipt for a deliver_sm that is not a
// delivery receipt.
var ErrNotReceipt = errors.New("smpp: deliver_sm is not a delivery receipt")

// Receipt reads a delivery-receipt deliver_sm into the common form. The id
// comes from the receipted_message_id TLV when present, else from the text's
// "id:"; the status from the message_state TLV when present, else from the
// text's "stat:"; the error code from "err:", else from the
// network_error_code TLV. Dest is the deliver_sm's source_addr (the handset).
// Dates are read by protocol.ParseReportTime in d.Location; unreadable ones
// are left zero. It returns an error wrapping ErrNotReceipt for an MO, and an
// error when neither an id nor a status can be found.
func (d Dialect) Receipt(p *Deliver) (protocol.Receipt, error) {
	if !p.IsReceipt() {
		return protocol.Receipt{}, fmt.Errorf("esm_class 0x%02X: %w", p.ESMClass, ErrNotReceipt)
	}
	body := p.Message
	if len(body) == 0 {
		body = p.Payload
	}
	rt, _ := ParseReceiptText(string(body))
	var r protocol.Receipt
	switch {
	case p.ReceiptedID != "":
		r.MsgID = NormalizeID(p.ReceiptedID, d.ReceiptedID)
	case rt.ID != "":
		r.MsgID = NormalizeID(rt.ID, d.TextID)
	default:
		return r, fmt.Errorf("smpp: receipt without message id: %q", hexSnippet(body))
	}
	r.Stat = p.State.StatWord()
	if r.Stat == "" {
		r.Stat = strings.ToUpper(rt.Stat)
	}
	if r.Stat == "" {
		return r, fmt.Errorf("smpp: receipt for %s without status: %q", r.MsgID, body)
	}
	r.Err = rt.Err
	if r.Err == "" {
		for _, t := range p.TLVs {
			if t.Tag == TagNetworkErrorCode && len(t.Value) == 3 {
				r.Err = fmt.Sprintf("%03d", int(t.Value[1])<<8|int(t.Value[2]))
			}
		}
	}
	r.Dest = p.Source
	loc := d.Location
	if loc == nil {
		loc = time.UTC
	}
	r.Submitted = protocol.ParseReportTime(rt.SubmitDate, loc)
	r.Done = protocol.ParseReportTime(rt.DoneDate, loc)
	return r, nil
}

// ReceiptDeliver builds the delivery-receipt deliver_sm an SMSC sends for a
// message: the Appendix-B text with the given fields, the
// receipted_message_id and message_state TLVs, and source and destination
// swapped from the submit. It is for the server side (gateway, simulator).
func ReceiptDeliver(s *Submit, msgID string, state MessageState, errCode string, submitted, done time.Time) *Deliver {
	stat := state.StatWord()
	dlvrd := "000"
	if state == StateDelivered {
		dlvrd = "001"
	}
	if errCode == "" {
		errCode = "000"
	}
	text := fmt.Sprintf("id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:%s text:",
		msgID, dlvrd, submitted.Format("0601021504"), done.Format("0601021504"), stat, errCode)
	return &Deliver{SM: SM{
		SourceTON:   s.DestTON,
		SourceNPI:   s.DestNPI,
		Source:      s.Dest,
		DestTON:     s.SourceTON,
		DestNPI:     s.SourceNPI,
		Dest:        s.Source,
		ESMClass:    ESMClassReceipt,
		Message:     []byte(text),
		ReceiptedID: msgID,
		State:       state,
	}}
}

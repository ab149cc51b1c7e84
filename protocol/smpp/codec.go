package smpp

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ParseError says what could not be read, where, and shows the bytes there.
type ParseError struct {
	Cmd     CommandID // command being read (0 when the header was unreadable)
	Field   string    // field or state being read
	Off     int       // offset of the field in the PDU
	Reason  string
	Snippet []byte // up to 16 bytes from Off, or the last 16 when Off is the end
}

// Error names the command, the field, the reason and the offset, and quotes
// the bytes there in hex.
func (e *ParseError) Error() string {
	return fmt.Sprintf("smpp: parse %s: %s: %s at offset %d [% x]", e.Cmd, e.Field, e.Reason, e.Off, e.Snippet)
}

func parseErr(cmd CommandID, field string, b []byte, off int, reason string) error {
	start := min(off, len(b))
	if start == len(b) {
		start = max(0, len(b)-16)
	}
	end := min(start+16, len(b))
	return &ParseError{Cmd: cmd, Field: field, Off: off, Reason: reason, Snippet: append([]byte(nil), b[start:end]...)}
}

// ErrLength is wrapped by the errors for a command_length outside
// [HeaderLen, MaxPDULen] or different from the frame's size.
var ErrLength = errors.New("bad command_length")

// Parse decodes one whole PDU frame. It rejects a command_length that differs
// from len(b) or lies outside [HeaderLen, MaxPDULen], C-octet strings that are
// longer than their maximum or unterminated, and truncated or trailing bytes.
// Commands it does not know come back as *Unknown. Byte slices in the result
// (short_message, TLV values, Unknown.Body) alias b.
func Parse(b []byte) (PDU, error) {
	if len(b) < HeaderLen {
		return nil, fmt.Errorf("smpp: parse header: %d bytes, want at least %d [% x]: %w", len(b), HeaderLen, b, ErrLength)
	}
	n := binary.BigEndian.Uint32(b)
	cmd := CommandID(binary.BigEndian.Uint32(b[4:]))
	if n < HeaderLen || n > MaxPDULen || int(n) != len(b) {
		return nil, fmt.Errorf("smpp: parse %s: command_length %d, frame %d bytes (max %d) [% x]: %w", cmd, n, len(b), MaxPDULen, b[:HeaderLen], ErrLength)
	}
	h := Header{Status: Status(binary.BigEndian.Uint32(b[8:])), Seq: binary.BigEndian.Uint32(b[12:])}
	d := decoder{b: b, off: HeaderLen, cmd: cmd}
	var p PDU
	switch cmd {
	case CmdBindReceiver, CmdBindTransmitter, CmdBindTransceiver:
		q := &Bind{Header: h, Cmd: cmd}
		q.SystemID = d.cstring("system_id", MaxSystemID)
		q.Password = d.cstring("password", MaxPassword)
		q.SystemType = d.cstring("system_type", MaxSystemType)
		q.InterfaceVersion = d.byte("interface_version")
		q.AddrTON = d.byte("addr_ton")
		q.AddrNPI = d.byte("addr_npi")
		q.AddressRange = d.cstring("address_range", MaxAddressRange)
		p = q
	case CmdBindReceiverResp, CmdBindTransmitterResp, CmdBindTransceiverResp:
		q := &BindResp{Header: h, Cmd: cmd}
		if d.more() {
			q.SystemID = d.cstring("system_id", MaxSystemID)
			q.TLVs = d.tlvs()
		}
		p = q
	case CmdSubmitSM:
		q := &Submit{Header: h}
		d.sm(&q.SM)
		p = q
	case CmdDeliverSM:
		q := &Deliver{Header: h}
		d.sm(&q.SM)
		p = q
	case CmdSubmitSMResp:
		q := &SubmitResp{Header: h}
		if d.more() {
			q.MessageID = d.cstring("message_id", MaxMessageID)
			q.TLVs = d.tlvs()
		}
		p = q
	case CmdDeliverSMResp:
		q := &DeliverResp{Header: h}
		if d.more() {
			q.MessageID = d.cstring("message_id", MaxMessageID)
			q.TLVs = d.tlvs()
		}
		p = q
	case CmdUnbind:
		p = &Unbind{Header: h}
	case CmdUnbindResp:
		p = &UnbindResp{Header: h}
	case CmdEnquireLink:
		p = &EnquireLink{Header: h}
	case CmdEnquireLinkResp:
		p = &EnquireLinkResp{Header: h}
	case CmdGenericNack:
		p = &GenericNack{Header: h}
	default:
		return &Unknown{Header: h, Cmd: cmd, Body: b[HeaderLen:]}, nil
	}
	if d.err != nil {
		return nil, d.err
	}
	if d.more() {
		return nil, parseErr(cmd, "end of body", b, d.off, fmt.Sprintf("%d trailing bytes", len(b)-d.off))
	}
	return p, nil
}

// decoder reads fields in order; after the first error every read is a no-op.
type decoder struct {
	b   []byte
	off int
	cmd CommandID
	err error
}

func (d *decoder) more() bool { return d.err == nil && d.off < len(d.b) }

func (d *decoder) fail(field, reason string) {
	if d.err == nil {
		d.err = parseErr(d.cmd, field, d.b, d.off, reason)
	}
}

func (d *decoder) byte(field string) uint8 {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.b) {
		d.fail(field, "truncated")
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

// cstring reads a C-octet string of at most max bytes, NUL included.
func (d *decoder) cstring(field string, max int) string {
	if d.err != nil {
		return ""
	}
	rest := d.b[d.off:]
	if len(rest) > max {
		rest = rest[:max]
	}
	i := 0
	for i < len(rest) && rest[i] != 0 {
		i++
	}
	if i == len(rest) {
		if len(rest) == max {
			d.fail(field, fmt.Sprintf("no NUL within %d bytes", max))
		} else {
			d.fail(field, "truncated C-octet string")
		}
		return ""
	}
	s := string(rest[:i])
	d.off += i + 1
	return s
}

func (d *decoder) sm(m *SM) {
	m.ServiceType = d.cstring("service_type", MaxServiceType)
	m.SourceTON = d.byte("source_addr_ton")
	m.SourceNPI = d.byte("source_addr_npi")
	m.Source = d.cstring("source_addr", MaxAddr)
	m.DestTON = d.byte("dest_addr_ton")
	m.DestNPI = d.byte("dest_addr_npi")
	m.Dest = d.cstring("destination_addr", MaxAddr)
	m.ESMClass = d.byte("esm_class")
	m.ProtocolID = d.byte("protocol_id")
	m.Priority = d.byte("priority_flag")
	m.ScheduleDeliveryTime = d.cstring("schedule_delivery_time", MaxTime)
	m.ValidityPeriod = d.cstring("validity_period", MaxTime)
	m.RegisteredDelivery = d.byte("registered_delivery")
	m.ReplaceIfPresent = d.byte("replace_if_present_flag")
	m.DataCoding = d.byte("data_coding")
	m.SMDefaultMsgID = d.byte("sm_default_msg_id")
	n := int(d.byte("sm_length"))
	if d.err != nil {
		return
	}
	if d.off+n > len(d.b) {
		d.fail("short_message", fmt.Sprintf("sm_length %d, %d bytes left", n, len(d.b)-d.off))
		return
	}
	if n > 0 {
		m.Message = d.b[d.off : d.off+n : d.off+n]
	}
	d.off += n
	d.smTLVs(m)
}

// tlvs reads the rest of the body as TLVs kept raw.
func (d *decoder) tlvs() []TLV {
	var out []TLV
	for d.more() {
		tag, v, ok := d.tlv()
		if !ok {
			return nil
		}
		out = append(out, TLV{Tag: tag, Value: v})
	}
	return out
}

func (d *decoder) tlv() (uint16, []byte, bool) {
	if len(d.b)-d.off < 4 {
		d.fail("TLV header", "truncated")
		return 0, nil, false
	}
	tag := binary.BigEndian.Uint16(d.b[d.off:])
	n := int(binary.BigEndian.Uint16(d.b[d.off+2:]))
	if len(d.b)-d.off-4 < n {
		d.fail(fmt.Sprintf("TLV 0x%04X", tag), fmt.Sprintf("length %d, %d bytes left", n, len(d.b)-d.off-4))
		return 0, nil, false
	}
	v := d.b[d.off+4 : d.off+4+n : d.off+4+n]
	d.off += 4 + n
	return tag, v, true
}

// smTLVs maps the known TLVs to fields. A known TLV that is repeated or not
// well formed (wrong length, zero state, empty id) is kept raw in TLVs, so
// that marshalling the result loses nothing. The sar_* triple maps to SAR
// only when all three are present and well formed with a non-zero total.
func (d *decoder) smTLVs(m *SM) {
	sarAt := [3]int{-1, -1, -1} // index in m.TLVs of the first ref, total, seq
	havePayload := false
	for d.more() {
		tag, v, ok := d.tlv()
		if !ok {
			return
		}
		switch tag {
		case TagSARMsgRefNum, TagSARTotalSegments, TagSARSegmentSeqnum:
			i := 0
			switch tag {
			case TagSARTotalSegments:
				i = 1
			case TagSARSegmentSeqnum:
				i = 2
			}
			if sarAt[i] < 0 {
				sarAt[i] = len(m.TLVs)
			}
		case TagMessagePayload:
			if !havePayload {
				havePayload = true
				m.Payload = v
				if m.Payload == nil {
					m.Payload = []byte{}
				}
				continue
			}
		case TagReceiptedMessageID:
			if m.ReceiptedID == "" {
				if id, ok := tlvCString(v); ok {
					m.ReceiptedID = id
					continue
				}
			}
		case TagMessageState:
			if m.State == 0 && len(v) == 1 && v[0] != 0 {
				m.State = MessageState(v[0])
				continue
			}
		}
		m.TLVs = append(m.TLVs, TLV{Tag: tag, Value: v})
	}
	if d.err != nil || sarAt[0] < 0 || sarAt[1] < 0 || sarAt[2] < 0 {
		return
	}
	ref, total, seq := m.TLVs[sarAt[0]].Value, m.TLVs[sarAt[1]].Value, m.TLVs[sarAt[2]].Value
	if len(ref) != 2 || len(total) != 1 || len(seq) != 1 || total[0] == 0 {
		return
	}
	m.SAR = SAR{Ref: binary.BigEndian.Uint16(ref), Total: total[0], Seq: seq[0]}
	kept := m.TLVs[:0]
	for i, t := range m.TLVs {
		if i != sarAt[0] && i != sarAt[1] && i != sarAt[2] {
			kept = append(kept, t)
		}
	}
	m.TLVs = kept
	if len(m.TLVs) == 0 {
		m.TLVs = nil
	}
}

// tlvCString reads a C-octet string TLV value; the terminating NUL is
// tolerated when missing. It fails on an empty id or an interior NUL.
func tlvCString(v []byte) (string, bool) {
	if len(v) > 0 && v[len(v)-1] == 0 {
		v = v[:len(v)-1]
	}
	if len(v) == 0 || len(v) >= MaxMessageID {
		return "", false
	}
	for _, c := range v {
		if c == 0 {
			return "", false
		}
	}
	return string(v), true
}

// ReadPDU reads one frame from r and parses it. It checks command_length
// against [HeaderLen, MaxPDULen] before allocating the frame, and returns
// io.EOF only when r ends cleanly between frames.
func ReadPDU(r io.Reader) (PDU, error) {
	b, err := readFrame(r)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Marshal returns the bytes of p.
func Marshal(p PDU) []byte { return p.AppendMarshal(nil) }

// Frame writing. Each AppendMarshal reserves the length, writes the header and
// body, then patches command_length.

func appendHeader(b []byte, cmd CommandID, h *Header) ([]byte, int) {
	start := len(b)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(cmd))
	b = binary.BigEndian.AppendUint32(b, uint32(h.Status))
	b = binary.BigEndian.AppendUint32(b, h.Seq)
	return b, start
}

func finish(b []byte, start int) []byte {
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start))
	return b
}

func appendCString(b []byte, s string) []byte { return append(append(b, s...), 0) }

func appendTLV(b []byte, tag uint16, v []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, tag)
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

func appendTLVs(b []byte, ts []TLV) []byte {
	for _, t := range ts {
		b = appendTLV(b, t.Tag, t.Value)
	}
	return b
}

// AppendMarshal implements PDU.
func (p *Bind) AppendMarshal(b []byte) []byte {
	b, s := appendHeader(b, p.Cmd, &p.Header)
	b = appendCString(b, p.SystemID)
	b = appendCString(b, p.Password)
	b = appendCString(b, p.SystemType)
	b = append(b, p.InterfaceVersion, p.AddrTON, p.AddrNPI)
	b = appendCString(b, p.AddressRange)
	return finish(b, s)
}

// AppendMarshal implements PDU. A response with a non-zero status, an empty
// SystemID and no TLVs is written without a body, as most SMSCs send it.
func (p *BindResp) AppendMarshal(b []byte) []byte {
	b, s := appendHeader(b, p.Cmd, &p.Header)
	if p.Status == StatusOK || p.SystemID != "" || len(p.TLVs) > 0 {
		b = appendCString(b, p.SystemID)
		b = appendTLVs(b, p.TLVs)
	}
	return finish(b, s)
}

func (m *SM) appendBody(b []byte) []byte {
	b = appendCString(b, m.ServiceType)
	b = append(b, m.SourceTON, m.SourceNPI)
	b = appendCString(b, m.Source)
	b = append(b, m.DestTON, m.DestNPI)
	b = appendCString(b, m.Dest)
	b = append(b, m.ESMClass, m.ProtocolID, m.Priority)
	b = appendCString(b, m.ScheduleDeliveryTime)
	b = appendCString(b, m.ValidityPeriod)
	b = append(b, m.RegisteredDelivery, m.ReplaceIfPresent, m.DataCoding, m.SMDefaultMsgID, uint8(len(m.Message)))
	b = append(b, m.Message...)
	if m.SAR.Total != 0 {
		b = appendTLV(b, TagSARMsgRefNum, []byte{byte(m.SAR.Ref >> 8), byte(m.SAR.Ref)})
		b = appendTLV(b, TagSARTotalSegments, []byte{m.SAR.Total})
		b = appendTLV(b, TagSARSegmentSeqnum, []byte{m.SAR.Seq})
	}
	if m.Payload != nil {
		b = appendTLV(b, TagMessagePayload, m.Payload)
	}
	if m.ReceiptedID != "" {
		b = binary.BigEndian.AppendUint16(b, TagReceiptedMessageID)
		b = binary.BigEndian.AppendUint16(b, uint16(len(m.ReceiptedID)+1))
		b = appendCString(b, m.ReceiptedID)
	}
	if m.State != 0 {
		b = appendTLV(b, TagMessageState, []byte{byte(m.State)})
	}
	return appendTLVs(b, m.TLVs)
}

// AppendMarshal implements PDU.
func (p *Submit) AppendMarshal(b []byte) []byte {
	b, s := appendHeader(b, CmdSubmitSM, &p.Header)
	return finish(p.appendBody(b), s)
}

// AppendMarshal implements PDU.
func (p *Deliver) AppendMarshal(b []byte) []byte {
	b, s := appendHeader(b, CmdDeliverSM, &p.Header)
	return finish(p.appendBody(b), s)
}

func appendResp(b []byte, cmd CommandID, h *Header, id string, tlvs []TLV) []byte {
	b, s := appendHeader(b, cmd, h)
	if h.Status == StatusOK || id != "" || len(tlvs) > 0 {
		b = appendCString(b, id)
		b = appendTLVs(b, tlvs)
	}
	return finish(b, s)
}

// AppendMarshal implements PDU. A response with a non-zero status, an empty
// MessageID and no TLVs is written without a body.
func (p *SubmitResp) AppendMarshal(b []byte) []byte {
	return appendResp(b, CmdSubmitSMResp, &p.Header, p.MessageID, p.TLVs)
}

// AppendMarshal implements PDU. A response with a non-zero status, an empty
// MessageID and no TLVs is written without a body.
func (p *DeliverResp) AppendMarshal(b []byte) []byte {
	return appendResp(b, CmdDeliverSMResp, &p.Header, p.MessageID, p.TLVs)
}

func appendEmpty(b []byte, cmd CommandID, h *Header) []byte {
	b, s := appendHeader(b, cmd, h)
	return finish(b, s)
}

// AppendMarshal implements PDU.
func (p *Unbind) AppendMarshal(b []byte) []byte { return appendEmpty(b, CmdUnbind, &p.Header) }

// AppendMarshal implements PDU.
func (p *UnbindResp) AppendMarshal(b []byte) []byte {
	return appendEmpty(b, CmdUnbindResp, &p.Header)
}

// AppendMarshal implements PDU.
func (p *EnquireLink) AppendMarshal(b []byte) []byte {
	return appendEmpty(b, CmdEnquireLink, &p.Header)
}

// AppendMarshal implements PDU.
func (p *EnquireLinkResp) AppendMarshal(b []byte) []byte {
	return appendEmpty(b, CmdEnquireLinkResp, &p.Header)
}

// AppendMarshal implements PDU.
func (p *GenericNack) AppendMarshal(b []byte) []byte {
	return appendEmpty(b, CmdGenericNack, &p.Header)
}

// AppendMarshal implements PDU.
func (p *Unknown) AppendMarshal(b []byte) []byte {
	b, s := appendHeader(b, p.Cmd, &p.Header)
	return finish(append(b, p.Body...), s)
}

// Validation. AppendMarshal writes what it is given; Validate says whether
// that is a PDU a peer will accept.

func checkCString(field, s string, max int) error {
	if len(s) >= max {
		return fmt.Errorf("smpp: %s %q: %d bytes, max %d", field, s, len(s), max-1)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("smpp: %s %q: contains NUL", field, s)
	}
	return nil
}

func checkTime(field, s string) error {
	if s != "" && len(s) != MaxTime-1 {
		return fmt.Errorf("smpp: %s %q: want empty or %d characters", field, s, MaxTime-1)
	}
	return checkCString(field, s, MaxTime)
}

// Validate reports the first field that does not fit SMPP 3.4.
func (p *Bind) Validate() error {
	switch p.Cmd {
	case CmdBindReceiver, CmdBindTransmitter, CmdBindTransceiver:
	default:
		return fmt.Errorf("smpp: bind: command %s is not a bind", p.Cmd)
	}
	return errors.Join(
		checkCString("system_id", p.SystemID, MaxSystemID),
		checkCString("password", p.Password, MaxPassword),
		checkCString("system_type", p.SystemType, MaxSystemType),
		checkCString("address_range", p.AddressRange, MaxAddressRange),
	)
}

// Validate reports the fields that do not fit SMPP 3.4: string sizes,
// sm_length over 254, a message_payload together with a short_message, and
// a UDH together with sar_* TLVs (SMSCs reject or mangle both).
func (m *SM) Validate() error {
	var errs []error
	errs = append(errs,
		checkCString("service_type", m.ServiceType, MaxServiceType),
		checkCString("source_addr", m.Source, MaxAddr),
		checkCString("destination_addr", m.Dest, MaxAddr),
		checkTime("schedule_delivery_time", m.ScheduleDeliveryTime),
		checkTime("validity_period", m.ValidityPeriod),
		checkTLVCString("receipted_message_id", m.ReceiptedID),
	)
	if len(m.Message) > MaxShortMessage {
		errs = append(errs, fmt.Errorf("smpp: short_message: %d bytes, max %d (use message_payload)", len(m.Message), MaxShortMessage))
	}
	if m.Payload != nil && len(m.Message) > 0 {
		errs = append(errs, errors.New("smpp: message_payload and short_message both set"))
	}
	if len(m.Payload) > 0xFFFF {
		errs = append(errs, fmt.Errorf("smpp: message_payload: %d bytes, max 65535", len(m.Payload)))
	}
	if m.SAR.Total != 0 && m.ESMClass&ESMClassUDHI != 0 {
		errs = append(errs, errors.New("smpp: sar_* TLVs and a UDH (esm_class 0x40) both set"))
	}
	for _, t := range m.TLVs {
		if len(t.Value) > 0xFFFF {
			errs = append(errs, fmt.Errorf("smpp: TLV 0x%04X: %d bytes, max 65535", t.Tag, len(t.Value)))
		}
	}
	return errors.Join(errs...)
}

func checkTLVCString(field, s string) error {
	if s == "" {
		return nil
	}
	return checkCString(field, s, MaxMessageID)
}

// Validate reports whether message_id fits its C-octet string.
func (p *SubmitResp) Validate() error { return checkCString("message_id", p.MessageID, MaxMessageID) }

// hexSnippet formats up to 16 bytes of b for error messages.
func hexSnippet(b []byte) string {
	if len(b) > 16 {
		return hex.EncodeToString(b[:16]) + "..."
	}
	return hex.EncodeToString(b)
}

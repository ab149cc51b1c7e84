package smpp

import (
	"fmt"
)

// CommandID is an SMPP command_id.
type CommandID uint32

// Command ids (SMPP 3.4 §5.1.2).
const (
	CmdGenericNack         CommandID = 0x80000000 // generic_nack
	CmdBindReceiver        CommandID = 0x00000001 // bind_receiver
	CmdBindReceiverResp    CommandID = 0x80000001 // bind_receiver_resp
	CmdBindTransmitter     CommandID = 0x00000002 // bind_transmitter
	CmdBindTransmitterResp CommandID = 0x80000002 // bind_transmitter_resp
	CmdSubmitSM            CommandID = 0x00000004 // submit_sm
	CmdSubmitSMResp        CommandID = 0x80000004 // submit_sm_resp
	CmdDeliverSM           CommandID = 0x00000005 // deliver_sm
	CmdDeliverSMResp       CommandID = 0x80000005 // deliver_sm_resp
	CmdUnbind              CommandID = 0x00000006 // unbind
	CmdUnbindResp          CommandID = 0x80000006 // unbind_resp
	CmdBindTransceiver     CommandID = 0x00000009 // bind_transceiver
	CmdBindTransceiverResp CommandID = 0x80000009 // bind_transceiver_resp
	CmdEnquireLink         CommandID = 0x00000015 // enquire_link
	CmdEnquireLinkResp     CommandID = 0x80000015 // enquire_link_resp
)

// respBit marks a response command id.
const respBit CommandID = 0x80000000

// IsResponse reports whether id is a response (generic_nack included).
func (id CommandID) IsResponse() bool { return id&respBit != 0 }

// Resp returns the response id for a request id.
func (id CommandID) Resp() CommandID { return id | respBit }

var commandNames = map[CommandID]string{
	CmdGenericNack:         "generic_nack",
	CmdBindReceiver:        "bind_receiver",
	CmdBindReceiverResp:    "bind_receiver_resp",
	CmdBindTransmitter:     "bind_transmitter",
	CmdBindTransmitterResp: "bind_transmitter_resp",
	CmdSubmitSM:            "submit_sm",
	CmdSubmitSMResp:        "submit_sm_resp",
	CmdDeliverSM:           "deliver_sm",
	CmdDeliverSMResp:       "deliver_sm_resp",
	CmdUnbind:              "unbind",
	CmdUnbindResp:          "unbind_resp",
	CmdBindTransceiver:     "bind_transceiver",
	CmdBindTransceiverResp: "bind_transceiver_resp",
	CmdEnquireLink:         "enquire_link",
	CmdEnquireLinkResp:     "enquire_link_resp",
}

// String returns the specification's name of the command, or its hex value.
func (id CommandID) String() string {
	if s, ok := commandNames[id]; ok {
		return s
	}
	return fmt.Sprintf("command_id 0x%08X", uint32(id))
}

// Status is an SMPP command_status. A non-zero Status is also an error, so a
// session can wrap it and callers can recover it with errors.As.
type Status uint32

// Command status values (SMPP 3.4 §5.1.3).
const (
	StatusOK             Status = 0x00000000 // ESME_ROK
	StatusInvMsgLen      Status = 0x00000001 // ESME_RINVMSGLEN
	StatusInvCmdLen      Status = 0x00000002 // ESME_RINVCMDLEN
	StatusInvCmdID       Status = 0x00000003 // ESME_RINVCMDID
	StatusInvBindStatus  Status = 0x00000004 // ESME_RINVBNDSTS
	StatusAlreadyBound   Status = 0x00000005 // ESME_RALYBND
	StatusSysErr         Status = 0x00000008 // ESME_RSYSERR
	StatusInvSrcAddr     Status = 0x0000000A // ESME_RINVSRCADR
	StatusInvDstAddr     Status = 0x0000000B // ESME_RINVDSTADR
	StatusBindFail       Status = 0x0000000D // ESME_RBINDFAIL
	StatusInvPassword    Status = 0x0000000E // ESME_RINVPASWD
	StatusInvSystemID    Status = 0x0000000F // ESME_RINVSYSID
	StatusMsgQueueFull   Status = 0x00000014 // ESME_RMSGQFUL
	StatusSubmitFail     Status = 0x00000045 // ESME_RSUBMITFAIL
	StatusThrottled      Status = 0x00000058 // ESME_RTHROTTLED
	StatusTempAppErr     Status = 0x00000064 // ESME_RX_T_APPN
	StatusPermAppErr     Status = 0x00000065 // ESME_RX_P_APPN
	StatusRejectedAppErr Status = 0x00000066 // ESME_RX_R_APPN
	StatusUnknownErr     Status = 0x000000FF // ESME_RUNKNOWNERR
)

var statusNames = map[Status]string{
	StatusOK:             "ESME_ROK",
	StatusInvMsgLen:      "ESME_RINVMSGLEN",
	StatusInvCmdLen:      "ESME_RINVCMDLEN",
	StatusInvCmdID:       "ESME_RINVCMDID",
	StatusInvBindStatus:  "ESME_RINVBNDSTS",
	StatusAlreadyBound:   "ESME_RALYBND",
	StatusSysErr:         "ESME_RSYSERR",
	StatusInvSrcAddr:     "ESME_RINVSRCADR",
	StatusInvDstAddr:     "ESME_RINVDSTADR",
	StatusBindFail:       "ESME_RBINDFAIL",
	StatusInvPassword:    "ESME_RINVPASWD",
	StatusInvSystemID:    "ESME_RINVSYSID",
	StatusMsgQueueFull:   "ESME_RMSGQFUL",
	StatusSubmitFail:     "ESME_RSUBMITFAIL",
	StatusThrottled:      "ESME_RTHROTTLED",
	StatusTempAppErr:     "ESME_RX_T_APPN",
	StatusPermAppErr:     "ESME_RX_P_APPN",
	StatusRejectedAppErr: "ESME_RX_R_APPN",
	StatusUnknownErr:     "ESME_RUNKNOWNERR",
}

// String returns the specification's name of the status and its value.
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return fmt.Sprintf("%s (0x%02X)", n, uint32(s))
	}
	return fmt.Sprintf("command_status 0x%08X", uint32(s))
}

// Error implements error; it is meant for non-zero statuses.
func (s Status) Error() string { return "smpp status " + s.String() }

// Throttling reports whether the status asks the ESME to slow down
// (ESME_RTHROTTLED or ESME_RMSGQFUL): back off and retry, the message did not
// fail.
func (s Status) Throttling() bool { return s == StatusThrottled || s == StatusMsgQueueFull }

// TLV tags the codec maps to fields (SMPP 3.4 §5.3.2).
const (
	TagReceiptedMessageID  uint16 = 0x001E // receipted_message_id
	TagSARMsgRefNum        uint16 = 0x020C // sar_msg_ref_num
	TagSARTotalSegments    uint16 = 0x020E // sar_total_segments
	TagSARSegmentSeqnum    uint16 = 0x020F // sar_segment_seqnum
	TagSCInterfaceVersion  uint16 = 0x0210 // sc_interface_version
	TagNetworkErrorCode    uint16 = 0x0423 // network_error_code
	TagMessagePayload      uint16 = 0x0424 // message_payload
	TagMessageState        uint16 = 0x0427 // message_state
	TagSourceNetworkType   uint16 = 0x000E // source_network_type
	TagDestNetworkType     uint16 = 0x0006 // dest_network_type
	TagUserMessageRef      uint16 = 0x0204 // user_message_reference
	TagSourcePort          uint16 = 0x020A // source_port
	TagDestinationPort     uint16 = 0x020B // destination_port
	TagMoreMessagesToSend  uint16 = 0x0426 // more_messages_to_send
	TagPayloadType         uint16 = 0x0019 // payload_type
	TagPrivacyIndicator    uint16 = 0x0201 // privacy_indicator
	TagCallbackNum         uint16 = 0x0381 // callback_num
	TagLanguageIndicator   uint16 = 0x020D // language_indicator
	TagDestAddrSubunit     uint16 = 0x0005 // dest_addr_subunit
	TagSourceAddrSubunit   uint16 = 0x000D // source_addr_subunit
	TagUserResponseCode    uint16 = 0x0205 // user_response_code
	TagMsMsgWaitFacilities uint16 = 0x0030 // ms_msg_wait_facilities
)

// ESM class bits (SMPP 3.4 §5.2.12).
const (
	ESMClassTypeMask     uint8 = 0x3C // message type bits 2-5
	ESMClassReceipt      uint8 = 0x04 // SMSC delivery receipt
	ESMClassIntermediate uint8 = 0x20 // intermediate delivery notification
	ESMClassUDHI         uint8 = 0x40 // UDH indicator
)

// MessageState is the value of the message_state TLV (SMPP 3.4 §5.2.28).
type MessageState uint8

// Message states.
const (
	StateEnroute       MessageState = 1 // ENROUTE
	StateDelivered     MessageState = 2 // DELIVERED
	StateExpired       MessageState = 3 // EXPIRED
	StateDeleted       MessageState = 4 // DELETED
	StateUndeliverable MessageState = 5 // UNDELIVERABLE
	StateAccepted      MessageState = 6 // ACCEPTED
	StateUnknown       MessageState = 7 // UNKNOWN
	StateRejected      MessageState = 8 // REJECTED
)

// StatWord returns the 7-letter status word an SMSC prints in a receipt for
// the state (DELIVRD, UNDELIV, ...), or "" for an unknown state.
func (s MessageState) StatWord() string {
	switch s {
	case StateEnroute:
		return "ENROUTE"
	case StateDelivered:
		return "DELIVRD"
	case StateExpired:
		return "EXPIRED"
	case StateDeleted:
		return "DELETED"
	case StateUndeliverable:
		return "UNDELIV"
	case StateAccepted:
		return "ACCEPTD"
	case StateUnknown:
		return "UNKNOWN"
	case StateRejected:
		return "REJECTD"
	}
	return ""
}

// Field sizes, NUL included (SMPP 3.4 §4).
const (
	MaxSystemID     = 16
	MaxPassword     = 9
	MaxSystemType   = 13
	MaxAddressRange = 41
	MaxServiceType  = 6
	MaxAddr         = 21
	MaxTime         = 17
	MaxMessageID    = 65
	// MaxShortMessage is the largest short_message (sm_length 255 is not allowed).
	MaxShortMessage = 254
	// HeaderLen is the size of the PDU header.
	HeaderLen = 16
	// MaxPDULen is the largest command_length accepted: room for a 64 KiB
	// message_payload plus the mandatory fields. Larger frames are rejected
	// before anything is allocated.
	MaxPDULen = 0x10000 + 512
)

// InterfaceVersion is the interface_version this package speaks (3.4).
const InterfaceVersion uint8 = 0x34

// Header is the part of the PDU header that is not derived from the PDU's
// type and body: command_status and sequence_number.
type Header struct {
	Status Status
	Seq    uint32
}

func (h *Header) header() *Header { return h }

// PDU is one SMPP PDU.
type PDU interface {
	// CommandID returns the command_id the PDU is written with.
	CommandID() CommandID
	// AppendMarshal appends the PDU's bytes, header included, to b. It does
	// not validate field sizes: call Validate where the PDU has one.
	AppendMarshal(b []byte) []byte
	header() *Header
}

// HeaderOf returns the header of p, for reading or setting its status and
// sequence number.
func HeaderOf(p PDU) *Header { return p.header() }

// TLV is an optional parameter kept as raw bytes.
type TLV struct {
	Tag   uint16
	Value []byte
}

// Bind is bind_transmitter, bind_receiver or bind_transceiver.
type Bind struct {
	Header
	// Cmd is CmdBindTransmitter, CmdBindReceiver or CmdBindTransceiver.
	Cmd              CommandID
	SystemID         string
	Password         string
	SystemType       string
	InterfaceVersion uint8
	AddrTON          uint8
	AddrNPI          uint8
	AddressRange     string
}

// CommandID implements PDU.
func (p *Bind) CommandID() CommandID { return p.Cmd }

// BindResp is bind_*_resp. On an error status the body may be empty.
type BindResp struct {
	Header
	// Cmd is the response id, e.g. CmdBindTransceiverResp.
	Cmd      CommandID
	SystemID string
	// TLVs are optional parameters (sc_interface_version) in order.
	TLVs []TLV
}

// CommandID implements PDU.
func (p *BindResp) CommandID() CommandID { return p.Cmd }

// SAR is the sar_msg_ref_num, sar_total_segments and sar_segment_seqnum
// triple. It is present when Total is not zero.
type SAR struct {
	Ref   uint16
	Total uint8
	Seq   uint8
}

// SM holds the fields submit_sm and deliver_sm share.
type SM struct {
	ServiceType          string
	SourceTON            uint8
	SourceNPI            uint8
	Source               string
	DestTON              uint8
	DestNPI              uint8
	Dest                 string
	ESMClass             uint8
	ProtocolID           uint8
	Priority             uint8
	ScheduleDeliveryTime string
	ValidityPeriod       string
	RegisteredDelivery   uint8
	ReplaceIfPresent     uint8
	DataCoding           uint8
	SMDefaultMsgID       uint8
	// Message is short_message (sm_length is its length, at most 254).
	Message []byte

	// SAR holds the sar_* TLVs; written only when SAR.Total != 0.
	SAR SAR
	// Payload is message_payload; written when not nil (even if empty).
	Payload []byte
	// ReceiptedID is receipted_message_id, written as a C-octet string when
	// not empty.
	ReceiptedID string
	// State is message_state, written when not zero.
	State MessageState
	// TLVs are the other optional parameters, written after the known ones
	// in slice order.
	TLVs []TLV
}

// Submit is submit_sm.
type Submit struct {
	Header
	SM
}

// CommandID implements PDU.
func (p *Submit) CommandID() CommandID { return CmdSubmitSM }

// Deliver is deliver_sm: a mobile-originated message or, when
// ESMClass&ESMClassTypeMask is ESMClassReceipt, a delivery receipt.
type Deliver struct {
	Header
	SM
}

// CommandID implements PDU.
func (p *Deliver) CommandID() CommandID { return CmdDeliverSM }

// IsReceipt reports whether the deliver_sm is a delivery receipt (esm_class
// message type 0x04) or an intermediate notification (0x20).
func (p *Deliver) IsReceipt() bool {
	t := p.ESMClass & ESMClassTypeMask
	return t == ESMClassReceipt || t == ESMClassIntermediate
}

// SubmitResp is submit_sm_resp. On an error status the body may be empty.
type SubmitResp struct {
	Header
	MessageID string
	TLVs      []TLV
}

// CommandID implements PDU.
func (p *SubmitResp) CommandID() CommandID { return CmdSubmitSMResp }

// DeliverResp is deliver_sm_resp; MessageID is unused and normally empty.
type DeliverResp struct {
	Header
	MessageID string
	TLVs      []TLV
}

// CommandID implements PDU.
func (p *DeliverResp) CommandID() CommandID { return CmdDeliverSMResp }

// Unbind is unbind.
type Unbind struct{ Header }

// CommandID implements PDU.
func (p *Unbind) CommandID() CommandID { return CmdUnbind }

// UnbindResp is unbind_resp.
type UnbindResp struct{ Header }

// CommandID implements PDU.
func (p *UnbindResp) CommandID() CommandID { return CmdUnbindResp }

// EnquireLink is enquire_link.
type EnquireLink struct{ Header }

// CommandID implements PDU.
func (p *EnquireLink) CommandID() CommandID { return CmdEnquireLink }

// EnquireLinkResp is enquire_link_resp.
type EnquireLinkResp struct{ Header }

// CommandID implements PDU.
func (p *EnquireLinkResp) CommandID() CommandID { return CmdEnquireLinkResp }

// GenericNack is generic_nack: the answer to a PDU that could not be read.
type GenericNack struct{ Header }

// CommandID implements PDU.
func (p *GenericNack) CommandID() CommandID { return CmdGenericNack }

// Unknown is any PDU whose command_id this package does not decode; Body is
// everything after the header.
type Unknown struct {
	Header
	Cmd  CommandID
	Body []byte
}

// CommandID implements PDU.
func (p *Unknown) CommandID() CommandID { return p.Cmd }

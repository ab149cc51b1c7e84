// Package cmpp speaks CMPP 2.0 and 3.0, China Mobile's SP ↔ ISMG protocol: a
// pure codec for the PDUs the platform needs in both directions, the 8-byte
// Msg_Id, the status report carried in DELIVER, and a session (Conn) for both
// the client (SP) and the server (gateway) side.
//
// # Frames
//
// Every integer is big-endian. A frame is a 12-byte header and a body:
//
//	0       4          8           12
//	+-------+----------+-----------+--------------
//	| Total | Command  | Sequence  | body ...
//	| _Len  | _Id      | _Id       |
//	+-------+----------+-----------+--------------
//
// Total_Length counts the header. Fixed-width text fields are left-aligned and
// padded with 0x00; the decoder cuts them at the first 0x00 and trims spaces.
// The two versions differ in a few widths (2.0 | 3.0):
//
//	CONNECT        Source_Addr 6, AuthenticatorSource 16, Version 1,
//	               Timestamp 4                                     = 39 bytes
//	CONNECT_RESP   Status 1|4, AuthenticatorISMG 16, Version 1     = 30|33
//	SUBMIT         Msg_Id 8, Pk_total 1, Pk_number 1,
//	               Registered_Delivery 1, Msg_level 1, Service_Id 10,
//	               Fee_UserType 1, Fee_terminal_Id 21|32,
//	               [Fee_terminal_type 1 (3.0)], TP_pId 1, TP_udhi 1,
//	               Msg_Fmt 1, Msg_src 6, FeeType 2, FeeCode 6,
//	               ValId_Time 17, At_Time 17, Src_Id 21, DestUsr_tl 1,
//	               Dest_terminal_Id 21|32 × DestUsr_tl,
//	               [Dest_terminal_type 1 (3.0)], Msg_Length 1,
//	               Msg_Content Msg_Length, Reserve 8 | LinkID 20
//	                                                 = 138+21N+L | 163+32N+L
//	SUBMIT_RESP    Msg_Id 8, Result 1|4                             = 21|24
//	DELIVER        Msg_Id 8, Dest_Id 21, Service_Id 10, TP_pid 1,
//	               TP_udhi 1, Msg_Fmt 1, Src_terminal_Id 21|32,
//	               [Src_terminal_type 1 (3.0)], Registered_Delivery 1,
//	               Msg_Length 1, Msg_Content, Reserved 8 | LinkID 20
//	                                                     = 85+L | 109+L
//	DELIVER_RESP   Msg_Id 8, Result 1|4                             = 21|24
//	ACTIVE_TEST    header only = 12;  ACTIVE_TEST_RESP  Reserved 1  = 13
//	TERMINATE      header only = 12;  TERMINATE_RESP header only    = 12
//
// A status report is a DELIVER with Registered_Delivery 1 whose Msg_Content is
//
//	Msg_Id 8, Stat 7, Submit_time 10, Done_time 10,
//	Dest_terminal_Id 21 | 32, SMSC_sequence 4           = 60 | 71 bytes
//
// The specification says 21 bytes for Dest_terminal_Id in both versions; many
// CMPP 3.0 gateways send 32. ParseReport decodes by length; Report.Wide chooses
// the form written.
//
// The Msg_Id (MsgID) packs month 4 bits, day 5, hour 5, minute 6, second 6,
// gateway code 22 and a sequence of 16 bits, from the most significant bit
// down. It is matched as 16 upper-case hex digits.
//
// # Sessions
//
// Dial (or Login over an existing connection) logs in as an SP; Accept and
// Serve answer logins as a gateway. Both return a Conn with a sliding window
// (default 16), per-session sequence numbers, resends after a response timeout
// (T = 60 s, N = 3 tries), ACTIVE_TEST after 3 idle minutes and a Close that
// drains the window and sends TERMINATE.
//
// A request resent after a lost response is recognised by its Sequence_Id
// (and Msg_Id for DELIVER) among the last few hundred successful answers and
// answered again rather than handled twice. A throttle answer (Result 8) is
// returned to the caller as protocol.ErrThrottled; the Conn does not pace
// itself.
//
// # Known limits
//
// QUERY, CANCEL and FWD are not implemented: they are reported by Parse as
// ErrUnsupported and ignored by a Conn. Msg_Content is carried as raw bytes
// with its Msg_Fmt; encoding and splitting text is the business of the caller.
// Which form of Source_Addr enters the login MD5 when the SP id is shorter than
// six characters is not settled among gateways (see ClientConfig.UnpaddedAuth);
// a server accepts both. Frames are decoded strictly: a Total_Length that
// disagrees with Msg_Length and DestUsr_tl is an error, not padding.
package cmpp

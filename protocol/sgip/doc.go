// Package sgip speaks SGIP 1.2, China Unicom's SP↔SMG protocol: a pure codec
// for the PDUs the platform needs, and sessions for both ends of a link.
//
// # Byte layout
//
// All integers are unsigned big-endian. Text fields have a fixed width, are
// left-aligned and padded with 0x00; decoding cuts at the first 0x00 and trims
// spaces. Every frame starts with a 20-byte header:
//
//	 0               4               8              12              16              20
//	+---------------+---------------+---------------+---------------+---------------+
//	| MessageLength |   CommandID   |    NodeID     |  MMDDHHMMSS   |   Sequence    |
//	+---------------+---------------+---------------+---------------+---------------+
//	                                 \______ SequenceNumber (Seq), 12 bytes _______/
//
// Bodies (sizes in bytes; the total includes the header):
//
//	Bind (0x1), 61:        LoginType 1 | LoginName 16 | LoginPassword 16 | Reserve 8
//	*_Resp, 29:            Result 1 | Reserve 8        (Bind, Submit, Deliver, Report)
//	Unbind (0x2), 20:      header only; Unbind_Resp likewise
//	Submit (0x3), 143+21N+L:
//	    SPNumber 21 | ChargeNumber 21 | UserCount 1 | UserNumber 21×N | CorpId 5 |
//	    ServiceType 10 | FeeType 1 | FeeValue 6 | GivenValue 6 | AgentFlag 1 |
//	    MorelatetoMTFlag 1 | Priority 1 | ExpireTime 16 | ScheduleTime 16 |
//	    ReportFlag 1 | TP_pid 1 | TP_udhi 1 | MessageCoding 1 | MessageType 1 |
//	    MessageLength 4 | MessageContent L | Reserve 8
//	Deliver (0x4), 77+L:
//	    UserNumber 21 | SPNumber 21 | TP_pid 1 | TP_udhi 1 | MessageCoding 1 |
//	    MessageLength 4 | MessageContent L | Reserve 8
//	Report (0x5), 64:
//	    SubmitSequenceNumber 12 | ReportType 1 | UserNumber 21 | State 1 |
//	    ErrorCode 1 | Reserve 8
//
// The spec caps every frame at 2 KiB (MaxLength); frames outside [20, 2048]
// are rejected before anything is allocated.
//
// # Message ids
//
// SGIP has no message id: the 12-byte SequenceNumber of a Submit is what the
// Report quotes in SubmitSequenceNumber. Seq.String formats it as
// "NODE-MMDDHHMMSS-SEQ", three decimal numbers with the time zero-padded to ten
// digits (for example "3053112345-0203153000-42"); Seq.MsgID passes that through
// protocol.NormalizeID. Both ends of a match use the same formatter, so a Report
// always finds its Submit.
//
// # Connections
//
// SGIP links are one-way: the side that dials binds and then sends requests;
// the side that accepts only answers. The SP dials the SMG (LoginType 1) to
// submit; the SMG dials the SP's own listener (LoginType 2) to deliver MO
// messages and Reports. So both ends need both halves:
//
//   - Dial (or the lazily redialling Client) binds and sends Submit — or, for a
//     gateway, Deliver and Report — with a window, resends and timeouts.
//   - Serve / Listen accept binds and call the handlers of a ServerConfig:
//     OnSubmit on a gateway, OnDeliver and OnReport on the SP's listener.
//
// SGIP has no keep-alive: a dialled Conn closes itself (Unbind) after
// ClientConfig.IdleTimeout without traffic, and a served Conn drops a link idle
// for ServerConfig.IdleTimeout.
//
// # Known limits
//
//   - Only Bind, Unbind, Submit, Deliver, Report and their responses are
//     decoded; Trace, UserRpt and the GNS commands are not (Parse returns an
//     error naming the command).
//   - A resend reuses the Submit's SequenceNumber, so the id never changes; an
//     SMG that silently drops the repeated sequence (as the spec allows) makes
//     the call end in protocol.ErrTimeout if its first response was lost. A
//     served Conn of this package handles a repeated Seq once and answers the
//     copy with the first result (or drops it while the handler still runs).
//   - A handler error without a *StatusError is answered ResultBusy (11), the
//     one code a peer surely treats as "resend later"; the spec has no
//     "temporary failure" code.
//   - Report.Receipt maps State 1 (waiting, not final) to "ENROUTE", not
//     "UNDELIV".
//   - Several Conns of one node that number from the same start in the same
//     second produce the same ids; give them disjoint ClientConfig.NextSeq
//     sources (Client keeps one counter across its redials).
//   - The year is not part of the id; ids repeat only after a year and 2³²
//     submits per second.
package sgip

// Package sms is the text layer shared by the carrier protocols: character
// codings, choosing one, splitting a text into segments, the billed count,
// decoding inbound payloads and reassembling long inbound messages.
//
// # Codings
//
// Coding values are the Msg_Fmt of CMPP (MessageCoding of SGIP, MsgFormat
// of SMGP) where one exists; FromMsgFmt, FromDataCoding (SMPP) and FromDCS
// (GSM 03.38) read the protocol bytes as a whole, never by masking.
//
//	ASCII    Msg_Fmt 0   SMPP 0x01   1 octet per character
//	Binary   Msg_Fmt 4   SMPP 0x04   octets
//	UCS2     Msg_Fmt 8   SMPP 0x08   UTF-16BE, surrogate pairs for non-BMP
//	GB18030  Msg_Fmt 15  (0x0F)      1, 2 or 4 octets per character
//	GSM7     -           SMPP 0x00   GSM 03.38 septets, 0x1B xx for € [ ] ...
//	Latin1   -           SMPP 0x03   ISO-8859-1
//
// GSM7 payloads come in two forms. Encode, Decode and Split (by default)
// use the unpacked form, one septet per octet, which SMPP data_coding 0
// carries in short_message (the SMSC packs it). PackSeptets and
// UnpackSeptets, and SplitOptions.PackGSM7, give the packed form of an SMS
// TPDU, seven bits per septet, least significant bit first, with fill bits
// after a UDH:
//
//	septets  s0=1010001 s1=...    octet 0 = s1[0]|s0   octet 1 = s2[1:0]|s1[6:1] ...
//
// # Segments
//
// One message holds 140 octets of user data: 160 GSM7 septets, 70 UCS-2
// characters or 140 octets. A longer text is split into segments that each
// start with a concatenation UDH (the link's udhi flag set):
//
//	8-bit reference   05 00 03 RR TT NN      134 octets / 67 UCS-2 / 153 septets left
//	16-bit reference  06 08 04 RH RL TT NN   133 octets / 66 UCS-2 / 152 septets left
//
// (UDHL, IEI, IEDL, reference, total, sequence from 1.) On SMPP the same
// numbers may instead travel as sar_msg_ref_num / sar_total_segments /
// sar_segment_seqnum (ConcatSAR, no UDH: never both), or the whole text as
// one message_payload (ConcatPayload). Split never cuts inside a
// character: a surrogate pair, a GB18030 multi-byte sequence or a GSM7
// escape pair stays whole, so a segment may hold one unit fewer. Count
// gives the number of messages a carrier bills, the carrier's signature
// ("【12366】") counted as part of the text, and always agrees with Split.
//
// # Reassembly
//
// A Reassembler keys fragments on (source, destination, reference, total),
// takes them out of order, duplicated, from several connections, each in
// its own coding, and delivers what arrived after a timeout, with the
// missing parts marked. Its memory is bounded (waiting messages, per source,
// octets); when a bound is reached the oldest waiting message is delivered
// incomplete.
//
// Known limits: GB18030 is also used for GBK and GB2312 input, of which it
// is a superset. SMPP data_coding values without a decoder here (JIS,
// Cyrillic, Hebrew, KS C 5601, ...) read as Binary. Packed GSM7 read without
// a septet count drops a final CR that ends exactly on an octet boundary
// (3GPP TS 23.038 §6.1.2.3.1 padding); the 8n-1 double-CR rule is not
// applied when packing. Reassembly is per process: fragments of one message
// that reach different platform nodes are not joined.
package sms

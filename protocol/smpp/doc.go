// Package smpp implements SMPP 3.4: a pure codec for the PDUs the platform
// exchanges with an SMSC, the delivery-receipt parser, and sessions (Conn) for
// both sides of a bind, our client (ESME) and a gateway server (SMSC) used by
// tests and by the carrier simulator.
//
// # Byte layout
//
// Every integer is unsigned big-endian. Every PDU starts with a 16-byte header;
// command_length counts the header.
//
//	+----------------+----------------+----------------+-----------------+
//	| command_length | command_id     | command_status | sequence_number |
//	| 4              | 4              | 4 (0 in reqs)  | 4               |
//	+----------------+----------------+----------------+-----------------+
//
// A C-octet string is written as its bytes and one 0x00; the maximum sizes
// below include that NUL.
//
//	bind_transmitter / bind_receiver / bind_transceiver (0x02 / 0x01 / 0x09)
//	  system_id C16 | password C9 | system_type C13 | interface_version 1 (0x34)
//	  | addr_ton 1 | addr_npi 1 | address_range C41
//	bind_*_resp (0x8000000x)
//	  system_id C16 | TLVs (sc_interface_version 0x0210)   -- body may be
//	                                                          empty on error
//	submit_sm (0x04) and deliver_sm (0x05)
//	  service_type C6 | source_addr_ton 1 | source_addr_npi 1 | source_addr C21
//	  | dest_addr_ton 1 | dest_addr_npi 1 | destination_addr C21 | esm_class 1
//	  | protocol_id 1 | priority_flag 1 | schedule_delivery_time C17
//	  | validity_period C17 | registered_delivery 1 | replace_if_present_flag 1
//	  | data_coding 1 | sm_default_msg_id 1 | sm_length 1 | short_message 0..254
//	  | TLVs
//	submit_sm_resp / deliver_sm_resp (0x80000004 / 0x80000005)
//	  message_id C65 (deliver_sm_resp: a single 0x00)      -- body may be
//	                                                          empty on error
//	unbind, unbind_resp, enquire_link, enquire_link_resp, generic_nack
//	  header only
//
//	TLV: tag 2 | length 2 | value length
//
// # TLV order
//
// The known optional parameters are written in one fixed order, whatever order
// they arrived in: sar_msg_ref_num (0x020C), sar_total_segments (0x020E),
// sar_segment_seqnum (0x020F), message_payload (0x0424), receipted_message_id
// (0x001E), message_state (0x0427); every other TLV follows in the order it
// was received (or set). A PDU parsed and marshalled again is therefore
// byte-identical to its input only when the input used that order.
//
// # Delivery receipts
//
// A deliver_sm whose esm_class has message type 0x04 is a delivery receipt.
// [Dialect.Receipt] reads it into a [protocol.Receipt], preferring the
// receipted_message_id and message_state TLVs and falling back on the
// Appendix-B text ("id:... sub:... dlvrd:... submit date:YYMMDDhhmm done
// date:YYMMDDhhmm stat:... err:... text:..."), which it reads tolerantly:
// keys in any case, missing fields, 10-, 12- or 14-digit dates. Message ids are
// normalised by [NormalizeID]: the zero Dialect keeps them opaque, so the
// receipt's MsgID is protocol.NormalizeID of the submit_sm_resp message_id;
// a Dialect naming a radix lets a receipt find its submit when the SMSC
// prints the id in another radix or with other leading zeros, and its
// [Dialect.MsgID] is then the submit's key.
//
// # Known limits
//
// The codec knows bind_*, submit_sm, deliver_sm, unbind, enquire_link and
// generic_nack; other commands (data_sm, query_sm, submit_multi, outbind,
// ...) parse as [Unknown], and a Conn answers them with generic_nack
// ESME_RINVCMDID. The client binds as a transceiver only. short_message is
// carried as bytes: text encoding and segmentation belong to protocol/sms.
package smpp

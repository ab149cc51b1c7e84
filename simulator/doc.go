// Package simulator is a carrier SMS gateway for tests, benchmarks and demos:
// one process that serves CMPP 2.0/3.0, SGIP 1.2, SMGP 3.0 and SMPP 3.4 at
// once with the server side of the protocol packages, as China Mobile's ISMG,
// China Unicom's SMG, China Telecom's SMGW and an SMSC would.
//
//	                    +----------------------------------------------+
//	SP  --CMPP 7890-->  |  login (account → secret, connection limit)  |
//	SP  --SGIP 8801-->  |  window and rate limit  → throttle answers   |
//	SP  --SMGP 8890-->  |  faults: drop, throttle, slow, no answer,    |
//	SP  --SMPP 2775-->  |          garbage bytes                       |
//	                    |  submit → id → counters, ring, OnSubmit      |
//	                    |        → receipt after ReceiptDelay ---------+--> same account's
//	HTTP  POST /mo  --> |  MO text → sms.Split → Deliver PDUs ---------+--> links (SGIP: dials
//	      GET /stats    +----------------------------------------------+    the SP's listener)
//
// # Behaviour
//
// Every logged-in link counts as a connection of its account. A submit is
// answered at once with a new message id unless the link is over its window
// (requests received and not yet answered, counted on the wire) or its rate
// (a token bucket per link), or a fault says otherwise; the throttle answers
// are CMPP Result 8, SGIP Result 11 (or Config.SGIPThrottle, e.g. 88), SMGP
// Status 1 and SMPP ESME_RTHROTTLED (0x58). An accepted submit that asked for a
// status report gets one per destination after ReceiptDelay, quoting the id
// the response gave; FailureRate of them carry one of FailureCodes instead of
// DELIVRD.
//
// Receipts and MO messages wait in a queue per account, ordered by when they
// are due, and are pushed by a fixed set of goroutines per link (Window of
// them, so that as many Deliver PDUs are in flight), not one per message:
// on CMPP, SMGP and SMPP over every link of the account that may receive
// (not SMGP ModeSend nor SMPP bind_transmitter links), on SGIP over a link
// the simulator dials to the account's DeliverAddr. A Deliver that fails
// (link lost, no answer, a refusal) goes back to the queue and is tried again
// after RedeliverDelay, at most MaxDeliverTries times.
//
// Faults act on the wire: a connection wrapper that knows the frame header of
// each protocol (length, command, sequence) drops a submit response, replaces
// it with garbage, or closes the socket, so that every protocol gets the same
// faults whatever its server Conn allows.
//
// # Counters
//
// Stats counts per protocol and account. Submits counts every submit PDU read,
// Segments those accepted, Messages the accepted segments that start a message
// (a single message or part 1 of a concatenated one), and Duplicates the
// accepted segments whose (account, destinations, content with its UDH,
// Pk/SAR numbers) was accepted before — the measure of resends after a crash.
// Duplicates are remembered for the last DuplicateWindow segments only.
//
// # Known limits
//
// One gateway, no routing: every account's messages are "delivered" by the
// simulator itself. Multi-destination submits count one segment and get one
// receipt per destination. The window is counted per link from the bytes on
// the wire; SGIP, whose server Conn answers a repeated sequence number itself,
// never shows resends to the simulator. Rate and window decisions use the
// monotonic clock; Config.Now only stamps ids, reports and MO times.
package simulator

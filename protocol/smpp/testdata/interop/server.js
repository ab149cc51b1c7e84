// An SMSC played by node-smpp, for interop tests of our Go client.
//
// Usage: node server.js
// Listens on 127.0.0.1 (random port) and prints one JSON object per line:
//   {"event":"listening","port":N}
//   {"event":"bind", ...}             for each bind_transceiver
//   {"event":"submit", ...}           for each submit_sm, as node decoded it
//   {"event":"deliver_resp", ...}     for each deliver_sm_resp we received
//   {"event":"unbind"}                then exits
// Accepts system_id "taxsms" with password "secret"; answers ESME_RINVPASWD
// otherwise. Answers each submit_sm with a lower-case hex message id, then
// sends a delivery receipt for it: odd submits get the receipted_message_id
// and message_state TLVs, even ones only the text, whose id is printed in
// decimal with leading zeros. After the first submit it also sends an MO.
'use strict';
const smpp = require('smpp');

function out(o) { process.stdout.write(JSON.stringify(o) + '\n'); }
function hex(b) { return Buffer.isBuffer(b) ? b.toString('hex') : null; }
function decoded(m) {
  if (m == null) return null;
  if (Buffer.isBuffer(m)) return { hex: m.toString('hex') };
  const r = { message: Buffer.isBuffer(m.message) ? m.message.toString('hex') : m.message };
  if (m.udh) r.udh = m.udh.map(u => u.toString('hex'));
  return r;
}

let nextID = 0x5a0;
let submits = 0;

const server = smpp.createServer(session => {
  session.on('error', e => out({ event: 'error', message: String(e) }));
  session.on('bind_transceiver', pdu => {
    out({ event: 'bind', system_id: pdu.system_id, interface_version: pdu.interface_version });
    if (pdu.system_id !== 'taxsms' || pdu.password !== 'secret') {
      session.send(pdu.response({ command_status: smpp.ESME_RINVPASWD }));
      return;
    }
    session.send(pdu.response({ system_id: 'node-smsc' }));
  });
  session.on('submit_sm', pdu => {
    submits++;
    const n = submits;
    const id = (nextID++).toString(16);
    out({
      event: 'submit', n, message_id: id,
      source_addr: pdu.source_addr, destination_addr: pdu.destination_addr,
      esm_class: pdu.esm_class, data_coding: pdu.data_coding,
      registered_delivery: pdu.registered_delivery,
      short_message: decoded(pdu.short_message),
      message_payload: decoded(pdu.message_payload),
      sar_msg_ref_num: pdu.sar_msg_ref_num, sar_total_segments: pdu.sar_total_segments,
      sar_segment_seqnum: pdu.sar_segment_seqnum,
    });
    session.send(pdu.response({ message_id: id }), null, () => {
      if (n === 1) {
        session.deliver_sm({
          source_addr: '13800138000', destination_addr: '12366',
          data_coding: 8, short_message: Buffer.from('4f60597dff0c00310032003300360036', 'hex'),
        }, resp => out({ event: 'deliver_resp', kind: 'mo', command_status: resp.command_status }));
      }
      const dec = ('0000000000' + parseInt(id, 16).toString(10)).slice(-10);
      const text = 'id:' + dec + ' sub:001 dlvrd:001 submit date:2403050941 done date:2403050942 stat:DELIVRD err:000 text:';
      const receipt = {
        source_addr: pdu.destination_addr, destination_addr: pdu.source_addr,
        esm_class: 0x04, short_message: text,
      };
      if (n % 2 === 1) {
        receipt.receipted_message_id = id;
        receipt.message_state = 2;
      }
      session.deliver_sm(receipt, resp => out({ event: 'deliver_resp', kind: 'receipt', n, command_status: resp.command_status }));
    });
  });
  session.on('enquire_link', pdu => session.send(pdu.response()));
  session.on('unbind', pdu => {
    session.send(pdu.response(), null, () => {
      out({ event: 'unbind' });
      session.close();
      server.close();
      setTimeout(() => process.exit(0), 50);
    });
  });
});
server.listen(0, '127.0.0.1', () => out({ event: 'listening', port: server.address().port }));
setTimeout(() => { out({ event: 'timeout' }); process.exit(2); }, 20000).unref();

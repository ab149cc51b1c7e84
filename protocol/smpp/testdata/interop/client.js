// An ESME played by node-smpp, for interop tests of our Go server.
//
// Usage: node client.js PORT DELIVERIES
// Binds as transceiver with "taxsms"/"secret", submits three messages (plain
// text, UCS-2, and one SAR segment), answers every deliver_sm, and once it has
// received DELIVERIES of them unbinds and exits. It prints one JSON object per
// line: bind_resp, submit_resp, deliver (as node decoded it), unbind_resp.
'use strict';
const smpp = require('smpp');

const port = Number(process.argv[2]);
const want = Number(process.argv[3]);
function out(o) { process.stdout.write(JSON.stringify(o) + '\n'); }
function text(m) {
  if (m == null) return null;
  if (Buffer.isBuffer(m)) return m.toString('hex');
  return Buffer.isBuffer(m.message) ? m.message.toString('hex') : m.message;
}

const session = smpp.connect({ url: 'smpp://127.0.0.1:' + port });
session.on('error', e => { out({ event: 'error', message: String(e) }); process.exit(1); });
let got = 0;
session.on('deliver_sm', pdu => {
  out({
    event: 'deliver', esm_class: pdu.esm_class, data_coding: pdu.data_coding,
    source_addr: pdu.source_addr, destination_addr: pdu.destination_addr,
    short_message: text(pdu.short_message),
    receipted_message_id: pdu.receipted_message_id || null,
    message_state: pdu.message_state || null,
  });
  session.send(pdu.response());
  if (++got === want) {
    session.unbind(resp => {
      out({ event: 'unbind_resp', command_status: resp.command_status });
      session.close();
      setTimeout(() => process.exit(0), 50);
    });
  }
});
session.bind_transceiver({ system_id: 'taxsms', password: 'secret' }, pdu => {
  out({ event: 'bind_resp', command_status: pdu.command_status, system_id: pdu.system_id });
  if (pdu.command_status !== 0) { process.exit(1); }
  const msgs = [
    { source_addr: '12366', destination_addr: '13800138000', registered_delivery: 1, short_message: 'hello from node' },
    { source_addr: '12366', destination_addr: '13800138001', registered_delivery: 1, short_message: '您好，12366' },
    { source_addr: '12366', destination_addr: '13800138002', registered_delivery: 1, short_message: 'part one',
      sar_msg_ref_num: 0x1234, sar_total_segments: 2, sar_segment_seqnum: 1 },
  ];
  msgs.forEach((m, i) => session.submit_sm(m, resp => {
    out({ event: 'submit_resp', i, command_status: resp.command_status, message_id: resp.message_id });
  }));
});
setTimeout(() => { out({ event: 'timeout' }); process.exit(2); }, 20000).unref();

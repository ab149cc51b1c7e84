package simulator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"taxsms/protocol"
	"taxsms/protocol/sms"
)

// MO is a mobile-originated message to inject: a text a handset sends to an
// SP's number. It is also the JSON of POST /mo and of a line of an MO file.
type MO struct {
	Protocol Protocol `json:"protocol"`
	// Account is the SP that receives it; "" picks the protocol's only
	// account (an error when it has several).
	Account string `json:"account,omitempty"`
	From    string `json:"from"` // the handset
	To      string `json:"to"`   // the SP's number, with any extension
	Text    string `json:"text"`
	// Coding is "ucs2", "gsm7", "ascii" or "gb18030"; "" chooses the one
	// with fewest segments among those the protocol's links take (ASCII,
	// UCS-2; GSM7, UCS-2 on SMPP).
	Coding string `json:"coding,omitempty"`
}

// codingByName maps MO.Coding to a coding.
func codingByName(name string) (sms.Coding, error) {
	switch strings.ToLower(name) {
	case "ucs2", "ucs-2":
		return sms.UCS2, nil
	case "gsm7", "gsm":
		return sms.GSM7, nil
	case "ascii":
		return sms.ASCII, nil
	case "gb18030", "gbk":
		return sms.GB18030, nil
	}
	return 0, fmt.Errorf("unknown coding %q (want ucs2, gsm7, ascii or gb18030)", name)
}

// QueueMO splits mo into segments (a concatenation UDH on each when it
// needs more than one) and queues them for its account, due now. It returns
// the number of segments, or an error for an unknown protocol or account,
// a text the coding cannot carry, or a full queue.
func (s *Simulator) QueueMO(mo MO) (int, error) {
	_, its, err := s.queueMO(mo, false)
	return len(its), err
}

// InjectMO queues mo as QueueMO does and waits until the SP has
// acknowledged every segment. It returns the first segment's delivery
// error (after MaxDeliverTries), protocol.ErrClosed when the simulator
// closes, or ctx's error; segments still queued then stay queued.
func (s *Simulator) InjectMO(ctx context.Context, mo MO) error {
	done, its, err := s.queueMO(mo, true)
	if err != nil {
		return err
	}
	var first error
	for range its {
		select {
		case err := <-done:
			if err != nil && first == nil {
				first = err
			}
		case <-ctx.Done():
			return ctx.Err()
		case <-s.ctx.Done():
			return protocol.ErrClosed
		}
	}
	return first
}

func (s *Simulator) queueMO(mo MO, wait bool) (chan error, []*item, error) {
	srv := s.servers[mo.Protocol]
	if srv == nil {
		return nil, nil, fmt.Errorf("simulator: protocol %q is not served", mo.Protocol)
	}
	a := srv.accounts[mo.Account]
	if mo.Account == "" && len(srv.accounts) == 1 {
		for _, only := range srv.accounts {
			a = only
		}
	}
	if a == nil {
		return nil, nil, fmt.Errorf("simulator: %s has no account %q", mo.Protocol, mo.Account)
	}
	var c sms.Coding
	var err error
	if mo.Coding != "" {
		c, err = codingByName(mo.Coding)
	} else if mo.Protocol == SMPP {
		c, err = sms.Choose(mo.Text, "", sms.GSM7, sms.UCS2)
	} else {
		c, err = sms.Choose(mo.Text, "", sms.ASCII, sms.UCS2)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("simulator: MO text: %w", err)
	}
	if _, ok := c.MsgFmt(); !ok && mo.Protocol != SMPP {
		return nil, nil, fmt.Errorf("simulator: %s cannot carry coding %v", mo.Protocol, c)
	}
	if _, ok := c.DataCoding(); !ok && mo.Protocol == SMPP {
		return nil, nil, fmt.Errorf("simulator: smpp cannot carry coding %v", c)
	}
	segs, err := sms.Split(mo.Text, sms.SplitOptions{Coding: c, Ref: uint16(s.moRef.Add(1))})
	if err != nil {
		return nil, nil, fmt.Errorf("simulator: MO text: %w", err)
	}
	var pdus []any
	switch mo.Protocol {
	case CMPP:
		pdus = moCMPP(&mo, segs, c)
	case SGIP:
		pdus = moSGIP(&mo, segs, c)
	case SMGP:
		pdus = s.moSMGP(&mo, segs, c)
	case SMPP:
		pdus = moSMPP(&mo, segs, c)
	}
	var done chan error
	if wait {
		done = make(chan error, len(pdus))
	}
	its := make([]*item, len(pdus))
	for i, p := range pdus {
		its[i] = &item{pdu: p, mo: true, done: done}
		s.schedule(a, its[i], 0)
	}
	return done, its, nil
}

// QueueMOFile queues the MO messages of r, one JSON object (see MO) per
// line; blank lines and lines starting with # are skipped. It returns the
// number of messages queued and stops at the first bad line, naming it.
func (s *Simulator) QueueMOFile(r io.Reader) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n, line := 0, 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		var mo MO
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&mo); err != nil {
			return n, fmt.Errorf("line %d: %w", line, err)
		}
		if _, err := s.QueueMO(mo); err != nil {
			return n, fmt.Errorf("line %d: %w", line, err)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("line %d: %w", line+1, err)
	}
	return n, nil
}

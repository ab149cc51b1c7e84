package smpp

import (
	"bufio"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"taxsms/protocol"
)

// TestConn_Submit_ErrClosed checks that every Submit on a link that went
// down fails with protocol.ErrClosed, also when its write is what failed.
func TestConn_Submit_ErrClosed(t *testing.T) {
	t.Run("PeerGone", func(t *testing.T) {
		cn, sn := net.Pipe()
		go func() { // the SMSC: answers the bind, then hangs up
			p, err := ReadPDU(bufio.NewReader(sn))
			if err == nil {
				sn.Write(Marshal(&BindResp{Header: Header{Seq: p.header().Seq}, Cmd: CmdBindTransceiverResp, SystemID: "SMSC"}))
			}
			sn.Close()
		}()
		c, err := NewClientConn(context.Background(), cn, ClientConfig{Timing: fastTiming, SystemID: "taxsms"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		select {
		case <-c.Done():
		case <-time.After(2 * time.Second):
			t.Fatal("link not down after the peer hung up")
		}
		for i := range 50 {
			if _, err := c.Submit(context.Background(), testSubmit("hi")); !errors.Is(err, protocol.ErrClosed) {
				t.Fatalf("Submit %d error = %v, want protocol.ErrClosed", i, err)
			}
		}
	})
	t.Run("WriteTimeout", func(t *testing.T) {
		cn, sn := net.Pipe()
		defer sn.Close()
		go func() { // the SMSC: answers the bind, then never reads again
			p, err := ReadPDU(bufio.NewReader(sn))
			if err == nil {
				sn.Write(Marshal(&BindResp{Header: Header{Seq: p.header().Seq}, Cmd: CmdBindTransceiverResp, SystemID: "SMSC"}))
			}
		}()
		timing := fastTiming
		timing.ResponseTimeout = 50 * time.Millisecond
		c, err := NewClientConn(context.Background(), cn, ClientConfig{Timing: timing, SystemID: "taxsms"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Submit(context.Background(), testSubmit("hi")); !errors.Is(err, protocol.ErrClosed) {
			t.Errorf("Submit error = %v, want protocol.ErrClosed", err)
		}
	})
}

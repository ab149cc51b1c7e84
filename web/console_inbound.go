package web

import (
	"net/http"

	"taxsms"
	"taxsms/auth"
)

// inboundData is the data of the received messages page.
type inboundData struct {
	Rows []*taxsms.Message
}

// handleInbound serves GET /inbound: the messages received from handsets
// (MO) in the user's scope, newest first, a page at a time, with the
// sender masked, searched by the sender's number and the days received.
func (c *Console) handleInbound(w http.ResponseWriter, r *Request) error {
	if err := requireRead(r, auth.DataMessages); err != nil {
		return err
	}
	f := newForm(r, "mobile", "from", "to")
	d := &inboundData{}
	page := &Page{Title: "in.title", Data: d, Form: f}
	rows, list, err := c.searchMessages(r, f, taxsms.MessageFilter{Direction: taxsms.MO})
	if err != nil {
		return err
	}
	if !f.OK() {
		c.render(w, r, http.StatusBadRequest, "inbound", page)
		return nil
	}
	d.Rows, page.List = rows, list
	c.render(w, r, http.StatusOK, "inbound", page)
	return nil
}

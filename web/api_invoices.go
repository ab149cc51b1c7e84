package web

import (
	"context"
	"net/http"
	"strings"

	"taxsms/invoice"
)

// invoiceIn is a row of POST /api/v1/invoices: an invoice of the registry
// that answers SMS invoice checks.
type invoiceIn struct {
	Code       string `json:"code,omitempty"` // "" for a 数电票
	Number     string `json:"number"`
	Kind       string `json:"kind,omitempty"` // "" derives it from the code
	Status     string `json:"status"`
	SellerName string `json:"seller_name"`
	SellerID   string `json:"seller_id,omitempty"`
	IssuedOn   string `json:"issued_on"` // YYYY-MM-DD
	Amount     string `json:"amount,omitempty"`
}

func (in invoiceIn) record(_ context.Context, _ resolver) (*invoice.Record, error) {
	r := &invoice.Record{Code: strings.TrimSpace(in.Code), Number: strings.TrimSpace(in.Number), Kind: invoice.Kind(in.Kind),
		Status: invoice.Status(in.Status), SellerName: strings.TrimSpace(in.SellerName), SellerID: strings.TrimSpace(in.SellerID)}
	var err error
	if r.IssuedOn, err = taxDate("issued_on", in.IssuedOn); err != nil {
		return nil, err
	}
	if in.Amount != "" {
		if r.Amount, err = taxAmount("amount", in.Amount); err != nil {
			return nil, err
		}
	}
	return r, r.Validate()
}

func (s *Server) invoiceBatch() taxBatch[invoiceIn, *invoice.Record] {
	return taxBatch[invoiceIn, *invoice.Record]{"invoices", invoiceIn.record,
		func(r *invoice.Record) string { return r.Code + "/" + r.Number }, s.DB.UpsertInvoices}
}

// handlePostInvoices serves POST /api/v1/invoices: up to 10,000 invoices
// upserted into the registry by code and number (a 数电票 by its number),
// validated first as the other bulk posts are.
func (s *Server) handlePostInvoices(w http.ResponseWriter, r *http.Request) {
	postTaxData(s, s.invoiceBatch())(w, r)
}

package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"taxsms"
	"taxsms/store/storetest"
	"taxsms/web"
)

func TestServer_Status(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := context.Background()
	if err := db.CreateOffice(ctx, &taxsms.Office{Code: "QD", Name: "青岛市税务局"}); err != nil {
		t.Fatal(err)
	}
	s := &web.Server{Addr: "127.0.0.1:0", Store: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)

	resp, err := http.Get(s.URL() + "/api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("X-Frame-Options = %q, want DENY", got)
	}
	var st struct {
		Engine string
		Counts struct{ Offices int }
	}
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.Engine != "sqlite" || st.Counts.Offices != 1 {
		t.Errorf("GET /api/v1/status = %+v, want sqlite with 1 office", st)
	}

	resp, err = http.Get(s.URL() + "/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nothing = %d, want 404", resp.StatusCode)
	}
}

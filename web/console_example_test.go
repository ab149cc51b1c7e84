package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"taxsms/pii"
	"taxsms/store"
	"taxsms/web"
)

// ExampleConsole serves the staff console: a request without a session is
// sent to the sign-in page, which speaks the browser's language.
func ExampleConsole() {
	ctx := context.Background()
	key := make([]byte, pii.KeySize)
	box, _ := pii.New(map[byte][]byte{1: key}, key)
	db, _ := store.Open(ctx, ":memory:", box)
	defer db.Close()

	s := &web.Server{Addr: "127.0.0.1:0", Store: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Console: &web.Console{DB: db, Key: []byte(strings.Repeat("k", 32))}}
	if err := s.Open(); err != nil {
		panic(err)
	}
	defer s.Close(ctx)

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, _ := client.Get(s.URL() + "/")
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Location"))

	req, _ := http.NewRequest("GET", s.URL()+"/login", nil)
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	resp, _ = client.Do(req)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Language"))
	// Output:
	// 303 /login?next=%2F
	// 200 en
}

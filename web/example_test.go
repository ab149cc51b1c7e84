package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"taxsms/pii"
	"taxsms/store"
	"taxsms/web"
)

func ExampleServer() {
	ctx := context.Background()
	key := make([]byte, pii.KeySize)
	box, _ := pii.New(map[byte][]byte{1: key}, key)
	db, _ := store.Open(ctx, ":memory:", box)
	defer db.Close()

	s := &web.Server{Addr: "127.0.0.1:0", Store: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := s.Open(); err != nil {
		panic(err)
	}
	defer s.Close(ctx)
	resp, _ := http.Get(s.URL() + "/healthz")
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(resp.StatusCode, " ", string(body))
	// Output: 200 ok
}

package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"taxsms/pii"
	"taxsms/store"
	"taxsms/web"
)

// A tax core system queues a message and reads it back; the number comes
// back masked.
func ExampleServer_api() {
	ctx := context.Background()
	key := make([]byte, pii.KeySize)
	box, _ := pii.New(map[byte][]byte{1: key}, key)
	db, _ := store.Open(ctx, ":memory:", box)
	defer db.Close()
	s := &web.Server{Addr: "127.0.0.1:0", Store: db, DB: db, APIKey: "bootstrap", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := s.Open(); err != nil {
		panic(err)
	}
	defer s.Close(ctx)

	call := func(method, path, body string, out any) int {
		req, _ := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer bootstrap")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(out)
		return resp.StatusCode
	}
	var posted struct{ Messages []struct{ ID int64 } }
	code := call("POST", "/api/v1/messages", `{"kind":"special","mobile":"13800138000","body":"【12366】会议通知"}`, &posted)
	fmt.Println(code, len(posted.Messages))
	var m struct{ Mobile, Status string }
	code = call("GET", fmt.Sprintf("/api/v1/messages/%d", posted.Messages[0].ID), "", &m)
	fmt.Println(code, m.Mobile, m.Status)
	var e struct{ Error struct{ Code, Field string } }
	code = call("GET", "/api/v1/taxpayers?mobile=12345", "", &e)
	fmt.Println(code, e.Error.Code, e.Error.Field)
	// Output:
	// 201 1
	// 200 138****8000 queued
	// 400 invalid mobile
}

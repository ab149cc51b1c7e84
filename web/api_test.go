package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/store/storetest"
	"taxsms/web"
)

func startAPI(t *testing.T) *web.Server {
	t.Helper()
	db := storetest.Open(t, "sqlite")
	s := &web.Server{Addr: "127.0.0.1:0", Store: db, DB: db, APIKey: "k3y",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func call(t *testing.T, method, url, key, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestAPI_Messages(t *testing.T) {
	s := startAPI(t)
	url := s.URL() + "/api/v1/messages"

	t.Run("Unauthorized", func(t *testing.T) {
		for _, key := range []string{"", "wrong"} {
			if code, _ := call(t, "POST", url, key, `{"mobile":"13800138000","body":"x"}`); code != http.StatusUnauthorized {
				t.Errorf("key %q: status %d, want 401", key, code)
			}
		}
	})
	t.Run("One", func(t *testing.T) {
		code, out := call(t, "POST", url, "k3y", `{"kind":"unpaid_tax","mobile":"+86 138 0013 8000","body":"【12366】您有未缴税款","idempotency_key":"unpaid/1"}`)
		if code != http.StatusCreated {
			t.Fatalf("status %d %v", code, out)
		}
		res := out["messages"].([]any)[0].(map[string]any)
		if res["created"] != true {
			t.Errorf("created = %v", res["created"])
		}
		id := int64(res["id"].(float64))
		code, again := call(t, "POST", url, "k3y", `{"kind":"unpaid_tax","mobile":"13800138000","body":"【12366】您有未缴税款","idempotency_key":"unpaid/1"}`)
		r2 := again["messages"].([]any)[0].(map[string]any)
		if code != http.StatusCreated || r2["created"] != false || int64(r2["id"].(float64)) != id {
			t.Errorf("same key again: %d %v, want created false and id %d", code, again, id)
		}
		code, got := call(t, "GET", fmt.Sprintf("%s/%d", url, id), "k3y", "")
		if code != 200 || got["status"] != "queued" || got["mobile"] != "138****8000" || got["kind"] != "unpaid_tax" {
			t.Errorf("GET = %d %v", code, got)
		}
		if tl := got["timeline"].([]any); len(tl) != 1 {
			t.Errorf("timeline = %v", tl)
		}
	})
	t.Run("Batch", func(t *testing.T) {
		var b bytes.Buffer
		b.WriteString(`{"messages":[`)
		for i := range 500 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"kind":"special","mobile":"139%08d","body":"会议通知 %d","idempotency_key":"k%d"}`, i, i, i%400)
		}
		b.WriteString(`]}`)
		code, out := call(t, "POST", url, "k3y", b.String())
		if code != http.StatusCreated {
			t.Fatalf("status %d %v", code, out)
		}
		res := out["messages"].([]any)
		created := 0
		for _, r := range res {
			if r.(map[string]any)["created"] == true {
				created++
			}
		}
		if len(res) != 500 || created != 400 {
			t.Errorf("batch: %d results, %d created; want 500 and 400 (100 repeat a key)", len(res), created)
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		for _, tt := range []struct{ body, want string }{
			{`{"messages":[{"mobile":"13800138000","body":"ok"},{"mobile":"12345","body":"x"}]}`, `messages[1]: mobile: "12345": want 11 digits, got 5`},
			{`{"mobile":"13800138000","body":"x","kind":"spam"}`, `messages[0]: kind: unknown kind "spam"`},
			{`{"mobile":"13800138000","body":"x","colour":"red"}`, `body: json: unknown field "colour"`},
			{`{"mobile":"13800138000","body":"x","not_before":"tomorrow"}`, `messages[0]: not_before: "tomorrow" is not an RFC 3339 time`},
			{`{"messages":[]}`, `messages: want 1 to 10000, got 0`},
		} {
			code, out := call(t, "POST", url, "k3y", tt.body)
			e, _ := out["error"].(map[string]any)
			if code != http.StatusBadRequest || e == nil || e["message"] != tt.want {
				t.Errorf("POST %s = %d %v, want 400 %q", tt.body, code, out, tt.want)
			}
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		if code, _ := call(t, "GET", url+"/99999", "k3y", ""); code != http.StatusNotFound {
			t.Errorf("GET missing = %d, want 404", code)
		}
	})
}

func TestAPI_Keys(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, "sqlite")
	city := &taxsms.Office{Code: "QD", Name: "青岛市税务局"}
	if err := db.CreateOffice(ctx, city); err != nil {
		t.Fatal(err)
	}
	a, b := &taxsms.Office{ParentID: city.ID, Code: "A", Name: "市南区"}, &taxsms.Office{ParentID: city.ID, Code: "B", Name: "市北区"}
	for _, o := range []*taxsms.Office{a, b} {
		if err := db.CreateOffice(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	tpB := &taxsms.Taxpayer{Identifier: "913702000000000012", Name: "丙公司", OfficeID: b.ID}
	if err := db.CreateTaxpayer(ctx, tpB); err != nil {
		t.Fatal(err)
	}
	newKey := func(office *taxsms.Office, endpoints ...string) (string, *auth.APIKey) {
		t.Helper()
		secret, hash, err := auth.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		k := &auth.APIKey{Name: "core tax system", Hash: hash, OfficeID: office.ID, Endpoints: endpoints}
		if err := db.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		return secret, k
	}
	keyA, ka := newKey(a, "GET /api/v1/taxpayers", "POST /api/v1/taxpayers", "GET /api/v1/taxpayers/{id}")
	revoked, rk := newKey(a, "GET /api/v1/taxpayers")
	if err := db.RevokeAPIKey(ctx, rk.ID); err != nil {
		t.Fatal(err)
	}
	keyB, _ := newKey(b, "GET /api/v1/taxpayers")

	s := &web.Server{Addr: "127.0.0.1:0", Store: db, DB: db, APIKey: "bootstrap-key",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	u := s.URL() + "/api/v1/taxpayers"

	for _, tt := range []struct {
		name, key, method, url, body string
		status                       int
		has                          string
	}{
		{"Bootstrap", "bootstrap-key", "GET", u, "", 200, "丙公司"},
		{"NoKey", "", "GET", u, "", 401, "unauthorized"},
		{"Junk", "tsk_nope", "GET", u, "", 401, "unauthorized"},
		{"Unknown", "tsk_" + strings.Repeat("a", 52), "GET", u, "", 401, "unauthorized"},
		{"Revoked", revoked, "GET", u, "", 401, "unauthorized"},
		{"OwnSubtree", keyA, "GET", u, "", 200, `"items":[]`},
		{"OtherSubtree", keyB, "GET", u, "", 200, "丙公司"},
		{"OutOfScope", keyA, "GET", fmt.Sprintf("%s/%d", u, tpB.ID), "", 404, "not_found"},
		{"NotListed", keyB, "GET", fmt.Sprintf("%s/%d", u, tpB.ID), "", 403, "forbidden"},
		{"Create", keyA, "POST", u, `{"identifier":"91370200000000004B","name":"丁公司"}`, 201, fmt.Sprintf(`"office_id":%d`, a.ID)},
		{"CreateOutOfScope", keyA, "POST", u, fmt.Sprintf(`{"identifier":"91370200000000005E","name":"x","office_id":%d}`, b.ID), 403, "forbidden"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
			if tt.key != "" {
				req.Header.Set("Authorization", "Bearer "+tt.key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.has) {
				t.Errorf("%s %s = %d %s, want %d with %s", tt.method, tt.url, resp.StatusCode, b, tt.status, tt.has)
			}
			if tt.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}

	t.Run("Audited", func(t *testing.T) {
		entries, err := db.ListAudit(ctx, audit.Filter{Login: strconv.FormatInt(ka.ID, 10)})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Actor.Kind != audit.ActorKey || entries[0].IP != "127.0.0.1" || entries[0].Object.Type != "taxpayer" {
			t.Errorf("audit of the key's writes = %+v, want one taxpayer record by the key from 127.0.0.1", entries)
		}
	})

	t.Run("Manage", func(t *testing.T) {
		code, made := call(t, "POST", s.URL()+"/api/v1/keys", "bootstrap-key",
			fmt.Sprintf(`{"name":"征管系统","office_id":%d,"endpoints":["GET /api/v1/taxpayers"]}`, b.ID))
		secret, _ := made["secret"].(string)
		if code != http.StatusCreated || !strings.HasPrefix(secret, "tsk_") {
			t.Fatalf("POST /api/v1/keys = %d %v", code, made)
		}
		if code, out := call(t, "GET", u, secret, ""); code != 200 || !strings.Contains(fmt.Sprint(out), "丙公司") {
			t.Errorf("the new key: %d %v", code, out)
		}
		code, list := call(t, "GET", s.URL()+"/api/v1/keys", "bootstrap-key", "")
		if code != 200 || strings.Contains(fmt.Sprint(list), secret) || strings.Contains(fmt.Sprint(list), auth.HashKey(secret)) || strings.Contains(fmt.Sprint(list), "secret") {
			t.Errorf("GET /api/v1/keys = %d %v: want no secret and no hash", code, list)
		}
		id := int64(made["id"].(float64))
		if code, out := call(t, "POST", fmt.Sprintf("%s/api/v1/keys/%d/revoke", s.URL(), id), "bootstrap-key", ""); code != 200 || out["revoked_at"] == nil {
			t.Errorf("revoke = %d %v", code, out)
		}
		if code, _ := call(t, "GET", u, secret, ""); code != http.StatusUnauthorized {
			t.Errorf("revoked key: %d, want 401", code)
		}
		if code, _ := call(t, "POST", fmt.Sprintf("%s/api/v1/keys/%d/revoke", s.URL(), id), "bootstrap-key", ""); code != http.StatusConflict {
			t.Errorf("revoke again: %d, want 409", code)
		}
		code, out := call(t, "POST", s.URL()+"/api/v1/keys", "bootstrap-key", `{"name":"x","endpoints":["DELETE /api/v1/everything"]}`)
		if e, _ := out["error"].(map[string]any); code != 400 || e["field"] != "endpoints" {
			t.Errorf("unknown endpoint: %d %v", code, out)
		}
		if code, out := call(t, "POST", s.URL()+"/api/v1/keys", keyB, `{"name":"x","endpoints":["GET /api/v1/taxpayers"]}`); code != http.StatusForbidden {
			t.Errorf("a key making a key: %d %v, want 403", code, out)
		}
	})

	t.Run("OfficeSuspended", func(t *testing.T) {
		if _, err := db.SuspendOffice(ctx, a.ID, true, "audit"); err != nil {
			t.Fatal(err)
		}
		if code, out := call(t, "GET", u, keyA, ""); code != http.StatusUnauthorized {
			t.Errorf("key of a suspended office: %d %v, want 401", code, out)
		}
	})
}

func TestAPI_ChangeWaiting(t *testing.T) {
	s := startAPI(t)
	url := s.URL() + "/api/v1"
	post := func(body string) int64 {
		t.Helper()
		code, out := call(t, "POST", url+"/messages", "k3y", body)
		if code != http.StatusCreated {
			t.Fatalf("POST %s = %d %v", body, code, out)
		}
		return int64(out["messages"].([]any)[0].(map[string]any)["id"].(float64))
	}
	status := func(id int64) string {
		t.Helper()
		_, got := call(t, "GET", fmt.Sprintf("%s/messages/%d", url, id), "k3y", "")
		return fmt.Sprint(got["status"])
	}
	a := post(`{"kind":"special","mobile":"13800138001","body":"会议通知"}`)
	b := post(`{"kind":"special","mobile":"13800138002","body":"会议通知"}`)

	for _, tt := range []struct {
		path, body string
		code       int
		changed    float64
		want       map[int64]string
	}{
		{fmt.Sprintf("/messages/%d/hold", a), `{"reason":"wrong date"}`, 200, 1, map[int64]string{a: "held", b: "queued"}},
		{fmt.Sprintf("/messages/%d/hold", a), ``, 200, 0, map[int64]string{a: "held"}},
		{fmt.Sprintf("/messages/%d/release", a), ``, 200, 1, map[int64]string{a: "queued"}},
		{fmt.Sprintf("/messages/%d/cancel", b), `{"reason":"duplicate"}`, 200, 1, map[int64]string{a: "queued", b: "cancelled"}},
		{fmt.Sprintf("/messages/%d/release", b), ``, 200, 0, map[int64]string{b: "cancelled"}},
		{fmt.Sprintf("/messages/%d/pause", a), ``, 404, 0, map[int64]string{a: "queued"}},
		{fmt.Sprintf("/messages/%d/cancel", a), `{"campaign_id":3}`, 400, 0, map[int64]string{a: "queued"}},
		{"/outbox/cancel", `{}`, 400, 0, map[int64]string{a: "queued"}},
		{"/outbox/hold", `{"office_id":424242}`, 404, 0, map[int64]string{a: "queued"}},
	} {
		code, out := call(t, "POST", url+tt.path, "k3y", tt.body)
		if code != tt.code || (code == 200 && out["changed"] != tt.changed) {
			t.Errorf("POST %s %s = %d %v, want %d changed %v", tt.path, tt.body, code, out, tt.code, tt.changed)
		}
		for id, want := range tt.want {
			if got := status(id); got != want {
				t.Errorf("after POST %s: message %d is %s, want %s", tt.path, id, got, want)
			}
		}
	}
	if code, _ := call(t, "POST", url+"/outbox/cancel", "", `{"campaign_id":1}`); code != http.StatusUnauthorized {
		t.Errorf("without a key: %d, want 401", code)
	}
}

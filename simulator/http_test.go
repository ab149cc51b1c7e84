package simulator_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"taxsms/protocol"
	"taxsms/simulator"
)

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHandler(t *testing.T) {
	sim := start(t, testConfig())
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	c, err := cmppClient(t, sim, cmppAccount, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Fault", func(t *testing.T) {
		code, body := post(t, srv.URL+"/fault", `{"protocol":"cmpp","throttle":1,"delay":"1ms"}`)
		if code != http.StatusOK {
			t.Fatalf("POST /fault = %d %s, want 200", code, body)
		}
		if f := sim.Fault(simulator.CMPP); f.Throttle != 1 || f.Delay != time.Millisecond {
			t.Errorf("Fault = %+v, want throttle 1, delay 1ms", f)
		}
		if _, err := c.Submit(ctxT(t), cmppSubmit("13800000020", "x", false)); !errors.Is(err, protocol.ErrThrottled) {
			t.Errorf("Submit = %v, want ErrThrottled", err)
		}
		resp, err := http.Get(srv.URL + "/fault")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"delay": "1ms"`) || strings.Contains(string(b), `"throttle"`) {
			t.Errorf("GET /fault = %s, want delay 1ms and the throttle used up", b)
		}
		post(t, srv.URL+"/fault", `{"protocol":"cmpp"}`)
	})
	t.Run("Submits", func(t *testing.T) {
		if _, err := c.Submit(ctxT(t), cmppSubmit("13800000021", "hello 12366", false)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(srv.URL + "/submits?limit=1")
		if err != nil {
			t.Fatal(err)
		}
		var subs []struct {
			Account, Text string
			Dests         []string
		}
		err = json.NewDecoder(resp.Body).Decode(&subs)
		resp.Body.Close()
		if err != nil || len(subs) != 1 || subs[0].Text != "hello 12366" || subs[0].Dests[0] != "13800000021" {
			t.Errorf("GET /submits = %+v, %v; want the last submit", subs, err)
		}
	})
	t.Run("Drop", func(t *testing.T) {
		code, body := post(t, srv.URL+"/drop", `{"protocol":"cmpp"}`)
		if code != http.StatusOK || !strings.Contains(body, `"dropped": 1`) {
			t.Errorf("POST /drop = %d %s, want 1 dropped", code, body)
		}
		<-c.Done()
	})
	t.Run("Errors", func(t *testing.T) {
		for _, tc := range []struct {
			path, body string
			want       int
		}{
			{"/fault", `{"protocol":"mms"}`, http.StatusNotFound},
			{"/fault", `{"protocol":"cmpp","delay":"soon"}`, http.StatusBadRequest},
			{"/fault", `{"protocol":"cmpp","bogus":1}`, http.StatusBadRequest},
			{"/mo", `{"protocol":"cmpp","account":"nobody","text":"x"}`, http.StatusBadRequest},
			{"/mo", `{"protocol":"smpp","account":"taxsms","text":"x","coding":"gb18030"}`, http.StatusBadRequest},
			{"/drop", `{"protocol":"mms"}`, http.StatusNotFound},
		} {
			if code, body := post(t, srv.URL+tc.path, tc.body); code != tc.want || !strings.Contains(body, `"error"`) {
				t.Errorf("POST %s %s = %d %s, want %d with an error", tc.path, tc.body, code, body, tc.want)
			}
		}
	})
	t.Run("QueueMO", func(t *testing.T) {
		code, body := post(t, srv.URL+"/mo", `{"protocol":"smgp","from":"13300000000","to":"10612366","text":"`+strings.Repeat("税", 80)+`"}`)
		if code != http.StatusAccepted || !strings.Contains(body, `"segments": 2`) {
			t.Errorf("POST /mo = %d %s, want 202 with 2 segments", code, body)
		}
		if n := sim.Queued(simulator.SMGP, smgpAccount); n != 2 {
			t.Errorf("Queued = %d, want 2 (no SP logged in)", n)
		}
	})
}

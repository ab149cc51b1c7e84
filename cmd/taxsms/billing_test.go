package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"taxsms/pii"
)

// TestBilling_Commands runs "taxsms billing recount" on a fresh database
// and a small "taxsms bench billing", whose statement must be exact.
func TestBilling_Commands(t *testing.T) {
	ctx := context.Background()
	env := []string{"TAXSMS_DATABASE=sqlite:" + filepath.Join(t.TempDir(), "t.db"), "TAXSMS_SECRET_KEYS=1:" + pii.NewKey(), "TAXSMS_SECRET_LOOKUP_KEY=" + pii.NewKey()}
	var out bytes.Buffer
	if err := Run(ctx, []string{"billing", "recount"}, env, &out, &out); err != nil || !strings.HasPrefix(out.String(), "0 counters, 0 set right, 0 adjustments") {
		t.Errorf("billing recount = %v, %q", err, out.String())
	}
	out.Reset()
	if err := Run(ctx, []string{"billing", "count"}, env, &out, &out); err == nil {
		t.Errorf("billing count succeeded: %q", out.String())
	}
	out.Reset()
	if err := Run(ctx, []string{"bench", "billing", "--messages", "20000", "--live", "1000", "--branches", "3"}, nil, &out, &out); err != nil {
		t.Fatalf("bench billing: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var res BillingResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	if !res.Exact || res.RecountDiff != 0 || res.Live != 1000 || res.Billable < 17000 || res.CloseMS <= 0 {
		t.Errorf("bench billing = %+v, want an exact statement of over 17,000 messages, closed", res)
	}
}

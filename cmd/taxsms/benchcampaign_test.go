package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchCampaign runs a small "taxsms bench campaign", whose count must
// be what its expansion queues, with the agencies' shared numbers counted
// once.
func TestBenchCampaign(t *testing.T) {
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"bench", "campaign", "--taxpayers", "3000", "--agencies", "20"}, nil, &out, &out); err != nil {
		t.Fatalf("bench campaign: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var res CampaignResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	if res.Queued != res.Recipients || res.Recipients+res.Duplicates+res.Excluded != res.Contacts || res.Duplicates < 200 || res.Segments < res.Recipients {
		t.Errorf("bench campaign = %+v, want as many queued as counted, every contact accounted for, some hundreds of duplicates", res)
	}
}

package protocol

import (
	"testing"
	"time"
)

func TestParseReportTime(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	tests := []struct {
		name string
		in   string
		want time.Time
	}{
		{"Minutes", "2403050941", time.Date(2024, 3, 5, 9, 41, 0, 0, cst)},
		{"Seconds", "240305094107", time.Date(2024, 3, 5, 9, 41, 7, 0, cst)},
		{"FullYear", "20240305094107", time.Date(2024, 3, 5, 9, 41, 7, 0, cst)},
		{"Empty", "", time.Time{}},
		{"OtherLength", "24030509", time.Time{}},
		{"NotATime", "2413990941", time.Time{}},
		{"NotDigits", "24O305O941", time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseReportTime(tc.in, cst); !got.Equal(tc.want) {
				t.Errorf("ParseReportTime(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestNormalizeID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0a1b", "0A1B"},
		{" 0A1B\x00\x00", "0A1B"},
		{"", ""},
		{"3053112345-0203153000-42", "3053112345-0203153000-42"},
	}
	for _, tc := range tests {
		if got := NormalizeID(tc.in); got != tc.want {
			t.Errorf("NormalizeID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

package calendar_test

import (
	"testing"

	"taxsms"
	"taxsms/calendar"
)

// The festivals' dates as the State Council's holiday notices give them.
func TestFestivals(t *testing.T) {
	for _, tt := range []struct {
		year int
		want []string
	}{
		{2025, []string{"春节 2025-01-29", "元宵节 2025-02-12", "端午节 2025-05-31", "中秋节 2025-10-06"}},
		{2026, []string{"春节 2026-02-17", "元宵节 2026-03-03", "端午节 2026-06-19", "中秋节 2026-09-25"}},
		{2027, []string{"春节 2027-02-06", "元宵节 2027-02-20", "端午节 2027-06-09", "中秋节 2027-09-15"}},
	} {
		got := calendar.Festivals(tt.year)
		if len(got) != len(tt.want) {
			t.Fatalf("%d: %d festivals", tt.year, len(got))
		}
		for i, f := range got {
			if s := f.Name + " " + f.Date.String(); s != tt.want[i] {
				t.Errorf("%d: %s, want %s", tt.year, s, tt.want[i])
			}
		}
	}
}

func TestUpcoming(t *testing.T) {
	got := calendar.Upcoming(taxsms.Date{Year: 2026, Month: 12, Day: 20}, 60)
	if len(got) != 1 || got[0].Name != "春节" || got[0].Date != (taxsms.Date{Year: 2027, Month: 2, Day: 6}) {
		t.Errorf("Upcoming from 2026-12-20, 60 days = %+v, want 春节 2027-02-06", got)
	}
	if got := calendar.Upcoming(taxsms.Date{Year: 2026, Month: 9, Day: 25}, 0); len(got) != 1 || got[0].Name != "中秋节" {
		t.Errorf("Upcoming on the day = %+v, want 中秋节", got)
	}
}

package report_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"taxsms"
	"taxsms/calendar"
	"taxsms/remind"
	"taxsms/report"
	"taxsms/store"
)

func TestRate(t *testing.T) {
	for _, tc := range []struct {
		r    report.Rate
		want string
	}{
		{report.Rate{N: 0, Of: 0}, "—"},
		{report.Rate{N: 1, Of: 3}, "33.3%"},
		{report.Rate{N: 952, Of: 1000}, "95.2%"},
		{report.Rate{N: 5, Of: 5}, "100.0%"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%+v = %q, want %q", tc.r, got, tc.want)
		}
	}
}

func TestReception(t *testing.T) {
	tab := report.Reception([]store.ReceptionCount{
		{OfficeID: 2, Kind: taxsms.KindSpecial, Carrier: taxsms.CarrierUnicom, Status: taxsms.StatusDelivered, Messages: 8, Segments: 16},
		{OfficeID: 2, Kind: taxsms.KindSpecial, Carrier: taxsms.CarrierUnicom, Status: taxsms.StatusFailed, Messages: 2, Segments: 4},
		{OfficeID: 3, Kind: taxsms.KindFilingReminder, Carrier: taxsms.CarrierMobile, Status: taxsms.StatusDelivered, Messages: 9, Segments: 9},
		{OfficeID: 3, Kind: taxsms.KindFilingReminder, Carrier: taxsms.CarrierMobile, Status: taxsms.StatusExpired, Messages: 1, Segments: 1},
		{OfficeID: 3, Kind: taxsms.KindFilingReminder, Carrier: "", Status: taxsms.StatusQueued, Messages: 5, Segments: 5},
	})
	if got, want := tab.Total.Rate().String(), "85.0%"; got != want {
		t.Errorf("total rate = %s, want %s (17 of 20 settled)", got, want)
	}
	if tab.Total.Waiting != 5 || tab.Total.Segments != 35 {
		t.Errorf("total = %+v", tab.Total)
	}
	var kinds []string
	for _, l := range tab.ByKind {
		kinds = append(kinds, fmt.Sprintf("%s %s", l.Kind, l.Rate()))
	}
	if got, want := fmt.Sprint(kinds), "[filing_reminder 90.0% special 80.0%]"; got != want {
		t.Errorf("by kind = %s, want %s", got, want)
	}
	var cs []string
	for _, l := range tab.ByCarrier {
		cs = append(cs, fmt.Sprintf("%q %s", l.Carrier, l.Rate()))
	}
	if got, want := fmt.Sprint(cs), `["mobile" 90.0% "unicom" 80.0% "" —]`; got != want {
		t.Errorf("by carrier = %s, want %s", got, want)
	}
	if len(tab.ByOffice) != 2 || tab.ByOffice[0].OfficeID != 2 || len(tab.ByKindCarrier) != 3 {
		t.Errorf("by office %+v, by kind and carrier %+v", tab.ByOffice, tab.ByKindCarrier)
	}
}

func TestCoverage(t *testing.T) {
	lines := report.Coverage(
		[]store.CoverageRow{{OfficeID: 2, Taxpayers: 10, Covered: 7}, {OfficeID: 3, Taxpayers: 4, Covered: 4}},
		&store.LateReport{ByOffice: []store.OfficeLate{{OfficeID: 2, Total: 5, Late: 1}}},
		&store.LateReport{ByOffice: []store.OfficeLate{{OfficeID: 2, Total: 3, Late: 3}}},
		&store.LateReport{ByOffice: []store.OfficeLate{{OfficeID: 4, Total: 1, Late: 1}}})
	if len(lines) != 3 {
		t.Fatalf("lines = %+v", lines)
	}
	if l := lines[0]; l.Covered.String() != "70.0%" || l.LateRegistrations.String() != "20.0%" || l.WithoutService != 3 || !l.Overdue {
		t.Errorf("office 2 = %+v", l)
	}
	if l := lines[2]; l.OfficeID != 4 || l.Unreflected.String() != "100.0%" || l.Covered.Of != 0 {
		t.Errorf("office 4 = %+v", l)
	}
	if got := report.TotalCovered([]store.CoverageRow{{Taxpayers: 10, Covered: 7}, {Taxpayers: 4, Covered: 4}}); got != (report.Rate{N: 11, Of: 14}) {
		t.Errorf("TotalCovered = %+v", got)
	}
}

func TestInHours(t *testing.T) {
	cal := calendar.Default()
	loc := calendar.Shanghai
	hours := func(_ context.Context, office int64) ([]calendar.Session, int64, error) {
		if office == 3 {
			return []calendar.Session{{Open: 9 * 60, Close: 21 * 60}}, 3, nil
		}
		return nil, 0, fmt.Errorf("no office %d", office)
	}
	in := report.InHours(context.Background(), cal, loc, hours)
	for _, tc := range []struct {
		office int64
		at     time.Time
		want   bool
	}{
		{2, time.Date(2026, 12, 3, 10, 0, 0, 0, loc), true},  // Thursday morning, default hours
		{2, time.Date(2026, 12, 3, 20, 0, 0, 0, loc), false}, // Thursday evening
		{3, time.Date(2026, 12, 3, 20, 0, 0, 0, loc), true},  // an office open until 21:00
		{2, time.Date(2026, 12, 5, 10, 0, 0, 0, loc), false}, // Saturday
		{2, time.Date(2026, 10, 1, 10, 0, 0, 0, loc), false}, // National Day
	} {
		if got := in(tc.office, tc.at); got != tc.want {
			t.Errorf("office %d at %s: in hours %v, want %v", tc.office, tc.at, got, tc.want)
		}
	}
}

func TestEffects(t *testing.T) {
	rows := []store.EffectRow{
		{Rule: remind.BeforeDeadline, OfficeID: 2, Delivered: store.EffectGroup{Taxpayers: 10, Done: 9}, None: store.EffectGroup{Taxpayers: 4, Done: 2}, NoContact: 4},
		{Rule: remind.BeforeDeadline, OfficeID: 3, Delivered: store.EffectGroup{Taxpayers: 10, Done: 7}, Undelivered: store.EffectGroup{Taxpayers: 2, Done: 0}},
		{Rule: remind.UnpaidTax, OfficeID: 2, Delivered: store.EffectGroup{Taxpayers: 1, Done: 1}},
	}
	got := report.Effects(rows)
	if len(got) != 4 {
		t.Fatalf("Effects = %+v, want 2 offices, a total, then 1 office", got)
	}
	if e := got[0]; e.Delivered.String() != "90.0%" || e.None.String() != "50.0%" || !e.HasGain || int(e.Gain+0.5) != 40 {
		t.Errorf("office 2 = %+v", e)
	}
	if e := got[2]; e.OfficeID != 0 || e.Delivered.String() != "80.0%" || e.NoContact != 4 || e.Undelivered.String() != "0.0%" {
		t.Errorf("total = %+v", e)
	}
	if e := got[3]; e.Rule != remind.UnpaidTax || e.HasGain {
		t.Errorf("unpaid = %+v", e)
	}
}

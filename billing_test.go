package taxsms_test

import (
	"testing"

	"taxsms"
)

func TestParseMilliYuan(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want taxsms.MilliYuan
		ok   bool
	}{
		{"0.035", 35, true}, {"¥0.05", 50, true}, {"12", 12000, true}, {" 1.5 ", 1500, true},
		{"0.0351", 0, false}, {"", 0, false}, {"abc", 0, false}, {".5", 0, false},
	} {
		got, err := taxsms.ParseMilliYuan("price", tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseMilliYuan(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && taxsms.ErrorField(err) != "price" {
			t.Errorf("ParseMilliYuan(%q) error field = %q, want price", tc.in, taxsms.ErrorField(err))
		}
	}
	if s := taxsms.MilliYuan(-1035).String(); s != "-1.035" {
		t.Errorf("String = %s, want -1.035", s)
	}
}

func TestTariff_CheckOverlap(t *testing.T) {
	jan := taxsms.Date{Year: 2026, Month: 1, Day: 1}
	jun := taxsms.Date{Year: 2026, Month: 6, Day: 30}
	jul := taxsms.Date{Year: 2026, Month: 7, Day: 1}
	existing := []*taxsms.Tariff{{ID: 1, Carrier: taxsms.CarrierMobile, Kind: taxsms.KindSpecial, ValidFrom: jan, ValidTo: jun}}
	for _, tc := range []struct {
		name string
		t    taxsms.Tariff
		ok   bool
	}{
		{"After", taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindSpecial, ValidFrom: jul}, true},
		{"LastDay", taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindSpecial, ValidFrom: jun}, false},
		{"OpenBefore", taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindSpecial, ValidFrom: taxsms.Date{Year: 2025, Month: 1, Day: 1}}, false},
		{"OtherKind", taxsms.Tariff{Carrier: taxsms.CarrierMobile, Kind: taxsms.KindOTP, ValidFrom: jan}, true},
		{"OtherCarrier", taxsms.Tariff{Carrier: taxsms.CarrierUnicom, Kind: taxsms.KindSpecial, ValidFrom: jan}, true},
		{"Itself", taxsms.Tariff{ID: 1, Carrier: taxsms.CarrierMobile, Kind: taxsms.KindSpecial, ValidFrom: jan}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.t.CheckOverlap(existing)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckOverlap = %v, want ok %v", err, tc.ok)
			}
			if err != nil && (taxsms.ErrorCode(err) != taxsms.ECONFLICT || taxsms.ErrorField(err) != "valid_from") {
				t.Errorf("error = %v (%s, %s), want ECONFLICT on valid_from", err, taxsms.ErrorCode(err), taxsms.ErrorField(err))
			}
		})
	}
}

func TestMonth(t *testing.T) {
	m, err := taxsms.ParseMonth("2024-02")
	if err != nil {
		t.Fatal(err)
	}
	if m.Last().String() != "2024-02-29" || m.Next().String() != "2024-03" || m.Prev().String() != "2024-01" {
		t.Errorf("2024-02: last %s, next %s, prev %s", m.Last(), m.Next(), m.Prev())
	}
	if _, err := taxsms.ParseMonth("2024-13"); taxsms.ErrorField(err) != "month" {
		t.Errorf("ParseMonth(2024-13) = %v, want an error on month", err)
	}
}

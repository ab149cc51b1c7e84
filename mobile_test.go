package taxsms_test

import (
	"fmt"
	"testing"

	"taxsms"
)

func TestNormalizeMobile(t *testing.T) {
	for _, tt := range []struct {
		in, want, err string
	}{
		{"13812345678", "13812345678", ""},
		{"+86 138 1234 5678", "13812345678", ""},
		{"0086-138-1234-5678", "13812345678", ""},
		{"8613812345678", "13812345678", ""},
		{"１３８１２３４５６７８", "13812345678", ""},
		{" (+86) 189.1234.5678 ", "18912345678", ""},
		{"", "", "mobile: required"},
		{"1381234567", "", `mobile: "1381234567": want 11 digits, got 10`},
		{"138123456789", "", `mobile: "138123456789": want 11 digits, got 12`},
		{"12812345678", "", `mobile: "12812345678": a mainland mobile number starts with 13-19`},
		{"15412345678", "", `mobile: "15412345678": prefix 154 is not allocated to any carrier`},
		{"138l2345678", "", `mobile: "138l2345678": unexpected character 'l'`},
		{"138+12345678", "", `mobile: "138+12345678": unexpected character '+'`},
		{"02586123456", "", `mobile: "02586123456": a mainland mobile number starts with 13-19`},
	} {
		got, err := taxsms.NormalizeMobile(tt.in)
		if msg := taxsms.ErrorMessage(err); msg != tt.err {
			t.Errorf("NormalizeMobile(%q) error = %q, want %q", tt.in, msg, tt.err)
		}
		if err != nil && taxsms.ErrorCode(err) != taxsms.EINVALID {
			t.Errorf("NormalizeMobile(%q) code = %q, want %q", tt.in, taxsms.ErrorCode(err), taxsms.EINVALID)
		}
		if got != tt.want {
			t.Errorf("NormalizeMobile(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPrefixTable_Carrier(t *testing.T) {
	for _, tt := range []struct {
		number string
		want   taxsms.Carrier
	}{
		{"13812345678", taxsms.CarrierMobile},
		{"13412345678", taxsms.CarrierMobile},
		{"13491234567", taxsms.CarrierTelecom}, // 1349 satellite beats 134
		{"13012345678", taxsms.CarrierUnicom},
		{"18612345678", taxsms.CarrierUnicom},
		{"17401234567", taxsms.CarrierTelecom},
		{"17031234567", taxsms.CarrierMobile}, // MVNO on Mobile
		{"19212345678", taxsms.CarrierBroadnet},
	} {
		if got, ok := taxsms.DefaultPrefixes.Carrier(tt.number); !ok || got != tt.want {
			t.Errorf("Carrier(%s) = %q, %v, want %q", tt.number, got, ok, tt.want)
		}
	}
	if c, ok := taxsms.DefaultPrefixes.Carrier("17461234567"); ok {
		t.Errorf("Carrier(1746…) = %q, want no carrier", c)
	}
}

func TestParsePrefixes(t *testing.T) {
	for _, tt := range []struct{ in, err string }{
		{"138 mobile\n138 unicom", "prefix table line 2: prefix 138 listed twice"},
		{"13x mobile", `prefix table line 1: bad prefix "13x"`},
		{"138 orange", `prefix table line 1: unknown carrier "orange"`},
		{"138", `prefix table line 1: want "prefix carrier", got "138"`},
	} {
		if _, err := taxsms.ParsePrefixes(tt.in); err == nil || err.Error() != tt.err {
			t.Errorf("ParsePrefixes(%q) = %v, want %s", tt.in, err, tt.err)
		}
	}
}

func ExampleNormalizeMobile() {
	m, _ := taxsms.NormalizeMobile("+86 138-1234-5678")
	c, _ := taxsms.DefaultPrefixes.Carrier(m)
	fmt.Println(m, taxsms.MaskMobile(m), c)
	// Output: 13812345678 138****5678 mobile
}

package taxsms_test

import (
	"strings"
	"testing"

	"taxsms"
)

func TestValidate(t *testing.T) {
	long := strings.Repeat("税", 201)
	for _, tt := range []struct {
		name string
		v    interface{ Validate() error }
		want string // the error message, "" for valid
	}{
		{"OfficeOK", &taxsms.Office{Code: "13702000000", Name: "青岛市税务局", Phone: "0532-12366"}, ""},
		{"OfficeNoCode", &taxsms.Office{Name: "x"}, "code: required"},
		{"OfficeBadPhone", &taxsms.Office{Code: "A", Name: "x", Phone: "call"}, `phone: "call": unexpected character 'c'`},
		{"OfficeControl", &taxsms.Office{Code: "A", Name: "a\x00b"}, "name: control character U+0000 not allowed"},
		{"UserOK", &taxsms.User{Login: "shinan.op1", Name: "王芳", OfficeID: 1, Role: taxsms.RoleOperator}, ""},
		{"UserBadLogin", &taxsms.User{Login: "王芳", Name: "王芳", OfficeID: 1, Role: taxsms.RoleOperator}, `login: "王芳": only letters, digits, '.', '_' and '-' allowed`},
		{"UserBadStatus", &taxsms.User{Login: "a", Name: "a", OfficeID: 1, Role: taxsms.RoleOperator, Status: "gone"}, `status: unknown status "gone"`},
		{"TaxpayerOK", &taxsms.Taxpayer{Identifier: "91110000600037341l", Name: "某公司", OfficeID: 1}, ""},
		{"TaxpayerLongName", &taxsms.Taxpayer{Identifier: "91110000600037341L", Name: long, OfficeID: 1}, "name: at most 200 characters, got 201"},
		{"TaxpayerTaxType", &taxsms.Taxpayer{Identifier: "91110000600037341L", Name: "x", OfficeID: 1, TaxTypes: []string{"增值税,印花税"}}, `tax_types: "增值税,印花税": a tax type may not contain ',' or ';'`},
		{"TaxpayerChangedBefore", &taxsms.Taxpayer{Identifier: "91110000600037341L", Name: "x", OfficeID: 1,
			Registered: taxsms.Date{Year: 2024, Month: 5, Day: 1}, Changed: taxsms.Date{Year: 2024, Month: 4, Day: 1}}, "changed_on: 2024-04-01 is before the registration date 2024-05-01"},
		{"ContactOK", &taxsms.Contact{TaxpayerID: 1, Role: taxsms.RoleTaxClerk, Mobile: "19912345678"}, ""},
		{"ContactBadChannel", &taxsms.Contact{TaxpayerID: 1, Role: taxsms.RoleTaxClerk, Mobile: "19912345678", StatusChannel: "fax"}, `channel: unknown channel "fax"`},
		{"MessageOK", &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindReply, Mobile: "13812345678", Body: "您好", Segments: 1}, ""},
		{"MessageTooLong", &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindOther, Mobile: "13812345678", Body: strings.Repeat("税", 671), Segments: 11}, "body: at most 670 characters, got 671"},
		{"MessageNoSegments", &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindOther, Mobile: "13812345678", Body: "x"}, "segments: at least 1"},
		{"MessageDirection", &taxsms.Message{Direction: "up", Kind: taxsms.KindOther, Mobile: "13812345678", Body: "x", Segments: 1}, `direction: want mt or mo, got "up"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v.Validate()
			if got := taxsms.ErrorMessage(err); got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
			if err != nil && taxsms.ErrorCode(err) != taxsms.EINVALID {
				t.Errorf("code = %q, want %q", taxsms.ErrorCode(err), taxsms.EINVALID)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	for _, in := range []string{"2026-12-03", "2026/12/3", "20261203", "2026.12.03", " 2026-12-3 "} {
		d, err := taxsms.ParseDate(in)
		if err != nil || d.String() != "2026-12-03" {
			t.Errorf("ParseDate(%q) = %v, %v, want 2026-12-03", in, d, err)
		}
	}
	if _, err := taxsms.ParseDate("2026-02-30"); taxsms.ErrorMessage(err) != `"2026-02-30" is not a date (want YYYY-MM-DD)` {
		t.Errorf("ParseDate(2026-02-30) error = %v", err)
	}
}

package taxsms_test

import (
	"fmt"
	"testing"

	"taxsms"
)

func TestValidateIdentifier(t *testing.T) {
	for _, tt := range []struct {
		typ  taxsms.IDType
		id   string
		want taxsms.IDType
		err  string
	}{
		{"", "91110000600037341L", taxsms.IDUSCC, ""},
		{taxsms.IDUSCC, "91110000600037341L", taxsms.IDUSCC, ""},
		{taxsms.IDUSCC, "91110000600037341M", "", `identifier: "91110000600037341M": check character is M, want L`},
		{taxsms.IDUSCC, "9111000060003734IL", "", `identifier: "9111000060003734IL": character 'I' at position 17 is not allowed in a credit code`},
		{taxsms.IDUSCC, "911100006000373", "", `identifier: "911100006000373": a credit code has 18 characters, got 15`},
		{"", "11010519491231002X", taxsms.IDResident, ""},
		{taxsms.IDResident, "110105194912310021", "", `identifier: "110105194912310021": check character is 1, want X`},
		{"", "370203163562898", taxsms.IDOld15, ""},
		{"", "11010519491231002X01", taxsms.IDOld20, ""},
		{"", "37020219650101123400000", "", `identifier: "37020219650101123400000": want 15, 18 or 20 characters, got 23`},
		{"", "110105194912310021", "", `identifier: "110105194912310021": check character is neither a valid credit code nor a valid resident id`},
		{"", "", "", "identifier: required"},
		{"passport", "X", "", `id_type: unknown identifier type "passport"`},
	} {
		got, err := taxsms.ValidateIdentifier(tt.typ, tt.id)
		if msg := taxsms.ErrorMessage(err); msg != tt.err {
			t.Errorf("ValidateIdentifier(%q, %q) error = %q, want %q", tt.typ, tt.id, msg, tt.err)
		}
		if got != tt.want {
			t.Errorf("ValidateIdentifier(%q, %q) = %q, want %q", tt.typ, tt.id, got, tt.want)
		}
	}
}

func TestNormalizeIdentifier(t *testing.T) {
	if got, want := taxsms.NormalizeIdentifier(" ９１１１００００６０００３７３４１ｌ "), "91110000600037341L"; got != want {
		t.Errorf("NormalizeIdentifier = %q, want %q", got, want)
	}
}

func ExampleUSCCCheck() {
	fmt.Printf("%c\n", taxsms.USCCCheck("91110000600037341"))
	// Output: L
}

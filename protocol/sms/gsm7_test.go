package sms

import (
	"bytes"
	"errors"
	"testing"
)

// gsm7Vectors are from fiorix/go-smpp smpp/encoding/gsm7_test.go
// (PROTOCOLS.md §8): text, unpacked septets, packed octets. For texts of
// 8n-1 septets fiorix pads with zero bits; we pad with CR as 3GPP TS 23.038
// asks, so those rows give the packed form separately.
var gsm7Vectors = []struct {
	name     string
	text     string
	unpacked string
	packed   string
}{
	{"Empty", "", "", ""},
	{"One", "1", "31", "31"},
	{"Two", "12", "3132", "3119"},
	{"Three", "123", "313233", "31d90c"},
	{"Four", "1234", "31323334", "31d98c06"},
	{"Five", "12345", "3132333435", "31d98c5603"},
	{"Six", "123456", "313233343536", "31d98c56b301"},
	{"Eight", "12345678", "3132333435363738", "31d98c56b3dd70"},
	{"Nine", "123456789", "313233343536373839", "31d98c56b3dd7039"},
	{"LF", "\n", "0a", "0a"},
	{"CR", "\r", "0d", "0d"},
	{"FormFeed", "\f", "1b0a", "1b05"},
	{"Extension", "^{}\\[~]|€", "1b141b281b291b2f1b3c1b3d1b3e1b401b65", "1bca06b5496d5e1bdea6b7f16d809b32"},
	{"Basic", "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
		"000102030405060708090b0c0e0f101112131415161718191a1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f",
		"8080604028180e88c482e17840229209a562b960321a4ec7f30185442352c97442a5542b56cbf582c564335acd76c3e5743b5ecff70306854362d178" +
			"4426954b66d3f98446a5536ad57ac566b55b6ed7fb0587c56372d97c46a7d56b76dbfd86c7e5737add7ec7e7f57b7edfff07"},
}

func TestEncode_GSM7(t *testing.T) {
	for _, tt := range gsm7Vectors {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Encode(tt.text, GSM7)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if want := unhex(t, tt.unpacked); !bytes.Equal(got, want) {
				t.Errorf("Encode = %x, want %x", got, want)
			}
			text, err := Decode(got, GSM7)
			if err != nil || text != tt.text {
				t.Errorf("Decode = %q, %v, want %q", text, err, tt.text)
			}
		})
	}
}

func TestPackSeptets(t *testing.T) {
	for _, tt := range gsm7Vectors {
		t.Run(tt.name, func(t *testing.T) {
			sept := unhex(t, tt.unpacked)
			got := PackSeptets(nil, sept, 0)
			if want := unhex(t, tt.packed); !bytes.Equal(got, want) {
				t.Errorf("PackSeptets = %x, want %x", got, want)
			}
			back, err := UnpackSeptets(nil, got, 0, -1)
			if err != nil || !bytes.Equal(back, sept) {
				t.Errorf("UnpackSeptets(-1) = %x, %v, want %x", back, err, sept)
			}
			back, err = UnpackSeptets(nil, got, 0, len(sept))
			if err != nil || !bytes.Equal(back, sept) {
				t.Errorf("UnpackSeptets(%d) = %x, %v, want %x", len(sept), back, err, sept)
			}
		})
	}
}

func TestPackSeptets_CRPadding(t *testing.T) {
	// Seven septets leave seven spare bits: fiorix writes 00 there, the
	// specification CR (0x0D << 1 = 0x1A).
	sept := []byte("1234567")
	got := PackSeptets(nil, sept, 0)
	if want := unhex(t, "31d98c56b3dd1a"); !bytes.Equal(got, want) {
		t.Errorf("PackSeptets = %x, want %x", got, want)
	}
	back, err := UnpackSeptets(nil, got, 0, -1)
	if err != nil || string(back) != "1234567" {
		t.Errorf("UnpackSeptets(-1) = %q, %v, want %q", back, err, "1234567")
	}
	// fiorix's zero-padded form, read with the septet count.
	back, err = UnpackSeptets(nil, unhex(t, "31d98c56b3dd00"), 0, 7)
	if err != nil || string(back) != "1234567" {
		t.Errorf("UnpackSeptets(7) = %q, %v, want %q", back, err, "1234567")
	}
}

func TestPackSeptets_Lorem(t *testing.T) {
	const text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Curabitur nec nunc venenatis, ultricies ipsum id, volutpat ante. Sed pretium ac metus a interdum metus."
	const packed = "ccb7bcdc06a5e1f37a1b447eb3df72d03c4d0785db653a0b347ebbe7e531bd4cafcb4161721a9e9e8fd3ee33a8cc4ed35da0615d1e16a7e97539c85d1e83dc75f718642fbbcbee303d3d6781ea6cba3c3d4e97e7a0347c5e6f83d26416c8fe66d7e9f0301d1476d3cb2ed0b44c06c1e5657abade0685c7a076995e9f83c2a0b49b5e9693eb6d50bb4cafcf5d"
	sept, err := Encode(text, GSM7)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := PackSeptets(nil, sept, 0), unhex(t, packed); !bytes.Equal(got, want) {
		t.Errorf("PackSeptets = %x, want %x", got, want)
	}
}

func TestPackSeptets_FillBits(t *testing.T) {
	// After a 6-octet UDH one fill bit aligns the septets.
	sept := []byte("hello")
	p := PackSeptets(nil, sept, 1)
	back, err := UnpackSeptets(nil, p, 1, len(sept))
	if err != nil || string(back) != "hello" {
		t.Errorf("round trip with fill = %q, %v, want %q", back, err, "hello")
	}
	if p[0]&1 != 0 {
		t.Errorf("fill bit = 1, want 0")
	}
	if _, err := UnpackSeptets(nil, p, 1, 50); !errors.Is(err, ErrInvalid) {
		t.Errorf("UnpackSeptets past the end: err = %v, want ErrInvalid", err)
	}
}

func TestDecode_GSM7Lenient(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
		bad            bool
	}{
		{"UnknownExtension", "1b41", "A", false},
		{"DoubleEscape", "1b1b", " ", false},
		{"TrailingEscape", "411b", "A\uFFFD", true},
		{"HighOctet", "4180", "A\uFFFD", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(unhex(t, tt.in), GSM7)
			if got != tt.want || (err != nil) != tt.bad {
				t.Errorf("Decode = %q, %v, want %q (error %v)", got, err, tt.want, tt.bad)
			}
		})
	}
}

func TestEncode_GSM7Unencodable(t *testing.T) {
	_, err := Encode("ab你", GSM7)
	if !errors.Is(err, ErrUnencodable) {
		t.Fatalf("err = %v, want ErrUnencodable", err)
	}
}

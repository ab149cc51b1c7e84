package carrier_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"taxsms"
	"taxsms/carrier"
)

const configTOML = `
[[link]]
name = "mobile-1"
carrier = "mobile"
protocol = "cmpp"
version = "2.0"
address = "10.0.0.1:7890"
account = "901234"
secret = "hush-hush"
service_code = "TAX12366"
source_number = "106353212366"
connections = 2
window = 16
messages_per_second = 100
enabled = true
response_timeout = "30s"
signature = "【12366】"
[link.extensions]
reply = "1"
filing_reminder = "2"
`

func TestLinkConfig_TOML(t *testing.T) {
	var f struct {
		Link []carrier.LinkConfig `toml:"link"`
	}
	md, err := toml.Decode(configTOML, &f)
	if err != nil {
		t.Fatal(err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		t.Fatalf("undecoded keys %v", un)
	}
	c := f.Link[0]
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.Extensions["filing_reminder"] != "2" || c.ResponseTimeout.Seconds() != 30 || c.Connections != 2 {
		t.Errorf("decoded %#v", c)
	}
	var buf strings.Builder
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "link", c)
	for _, s := range []string{c.String(), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), buf.String()} {
		if strings.Contains(s, "hush-hush") {
			t.Errorf("printed config shows the secret: %s", s)
		}
	}
}

func TestLinkConfig_Validate(t *testing.T) {
	ok := carrier.LinkConfig{
		Name: "l", Carrier: taxsms.CarrierUnicom, Protocol: "sgip", Address: "h:8801", Account: "sp", Secret: "s",
		SourceNumber: "10655", ListenAddress: ":8802", NodeID: 3010012366,
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	for _, tc := range []struct {
		field string
		edit  func(*carrier.LinkConfig)
	}{
		{"link[?].name", func(c *carrier.LinkConfig) { c.Name = "" }},
		{"link[l].carrier", func(c *carrier.LinkConfig) { c.Carrier = "att" }},
		{"link[l].protocol", func(c *carrier.LinkConfig) { c.Protocol = "ucp" }},
		{"link[l].address", func(c *carrier.LinkConfig) { c.Address = "nohost" }},
		{"link[l].listen_address", func(c *carrier.LinkConfig) { c.ListenAddress = "" }},
		{"link[l].node_id", func(c *carrier.LinkConfig) { c.NodeID = 12 }},
		{"link[l].source_number", func(c *carrier.LinkConfig) { c.SourceNumber = "106-55" }},
		{"link[l].extensions", func(c *carrier.LinkConfig) { c.Extensions = map[string]string{"spam": "1"} }},
		{"link[l].extensions", func(c *carrier.LinkConfig) { c.Extensions = map[string]string{"reply": "x"} }},
		{"link[l].window", func(c *carrier.LinkConfig) { c.Window = 33 }},
		{"link[l].connections", func(c *carrier.LinkConfig) { c.Connections = -1 }},
		{"link[l].messages_per_second", func(c *carrier.LinkConfig) { c.MessagesPerSecond = -1 }},
		{"link[l].version", func(c *carrier.LinkConfig) { c.Protocol, c.Version = "cmpp", "4.0" }},
		{"link[l].smpp_concat", func(c *carrier.LinkConfig) { c.Protocol, c.SMPPConcat = "smpp", "udh16" }},
	} {
		t.Run(tc.field, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if taxsms.ErrorCode(err) != taxsms.EINVALID || taxsms.ErrorField(err) != tc.field {
				t.Errorf("Validate = %v (field %q), want EINVALID naming %s", err, taxsms.ErrorField(err), tc.field)
			}
		})
	}
}

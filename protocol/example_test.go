package protocol_test

import (
	"errors"
	"fmt"

	"taxsms/protocol"
)

// Example matches a receipt to its submit by the normalised carrier id and
// tells a throttle answer from a failure.
func Example() {
	sent := map[string]string{protocol.NormalizeID(" 0a1b2c3d4e5f6071\x00"): "reminder 42"}
	r := protocol.Receipt{MsgID: "0A1B2C3D4E5F6071", Stat: "DELIVRD"}
	fmt.Println(sent[r.MsgID], r.Delivered())

	err := fmt.Errorf("cmpp submit: %w", protocol.ErrThrottled)
	fmt.Println(errors.Is(err, protocol.ErrThrottled), errors.Is(err, protocol.ErrTimeout))
	// Output:
	// reminder 42 true
	// true false
}

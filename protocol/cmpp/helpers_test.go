package cmpp

import (
	"fmt"
	"time"
)

func timeParse(s string) (time.Time, error) {
	return time.ParseInLocation(time.DateTime, s, time.UTC)
}

func pad2(n int) string { return fmt.Sprintf("%02d", n) }

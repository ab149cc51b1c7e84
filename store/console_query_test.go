package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"taxsms"
	"taxsms/store/storetest"
)

func TestDB_MessageIDAt(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, engine)
			t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
			if id, err := db.MessageIDAt(ctx, t0); err != nil || id != 0 {
				t.Fatalf("MessageIDAt on no message = %d, %v; want 0, nil", id, err)
			}
			// 10 messages an hour apart, ids in creation order.
			var ids []int64
			for i := range 10 {
				at := t0.Add(time.Duration(i) * time.Hour)
				db.Now = func() time.Time { return at }
				m := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindOther, Priority: taxsms.PriorityBulk,
					Mobile: fmt.Sprintf("1390000%04d", i), Body: "【12366】测试", Segments: 1}
				if err := db.CreateMessage(ctx, m); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, m.ID)
			}
			for _, tt := range []struct {
				name string
				at   time.Time
				want int64
			}{
				{"BeforeAll", t0.Add(-time.Hour), ids[0]},
				{"First", t0, ids[0]},
				{"Exact", t0.Add(3 * time.Hour), ids[3]},
				{"Between", t0.Add(3*time.Hour + time.Minute), ids[4]},
				{"Last", t0.Add(9 * time.Hour), ids[9]},
				{"AfterAll", t0.Add(10 * time.Hour), 0},
			} {
				t.Run(tt.name, func(t *testing.T) {
					if got, err := db.MessageIDAt(ctx, tt.at); err != nil || got != tt.want {
						t.Errorf("MessageIDAt(%s) = %d, %v; want %d", tt.at, got, err, tt.want)
					}
				})
			}
		})
	}
}

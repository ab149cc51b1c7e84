package store_test

import (
	"testing"

	"taxsms/store"
	"taxsms/store/storetest"
)

func TestStore(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			storetest.Exercise(t, func(t testing.TB) *store.DB { return storetest.Open(t, engine) })
		})
	}
}

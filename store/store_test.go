package store_test

import (
	"testing"

	"taxsms/store/storetest"
)

func TestStore(t *testing.T) {
	// The SQLite file runs with several connections and prepared batch
	// statements, which the in-memory database does without.
	for _, engine := range append(storetest.Engines(t), "sqlite-file") {
		t.Run(engine, func(t *testing.T) { storetest.Exercise(t, engine) })
	}
}

package store_test

import (
	"testing"

	"taxsms/store/storetest"
)

func TestStore_Scope(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) { storetest.ExerciseScope(t, engine) })
	}
}

package store_test

import (
	"testing"

	"taxsms/store/storetest"
)

func TestDB_SearchUsersAfter(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) { storetest.ExerciseUserSearch(t, engine) })
	}
}

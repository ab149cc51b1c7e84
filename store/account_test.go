package store_test

import (
	"testing"

	"taxsms/store/storetest"
)

func TestStore_Accounts(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) { storetest.ExerciseAccounts(t, engine) })
	}
}

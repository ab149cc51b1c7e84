package web

import (
	"fmt"

	"taxsms"
)

// reportSteps walks the reports: each a list of one branch's subtree,
// refused (404) for an office the caller may not read.
func (f *fixture) reportSteps(steps map[string]walkStep) {
	offices := [2]*taxsms.Office{f.branchA, f.branchB}
	for _, name := range []string{"coverage", "reception", "failing-numbers", "supervision", "effect"} {
		steps["GET /api/v1/reports/"+name] = walkStep{"list", func(side int) (string, string) {
			return fmt.Sprintf("/api/v1/reports/%s?office=%d", name, offices[side].ID), ""
		}, func(side int) record { return f.officeRec(offices[side]) }}
	}
}

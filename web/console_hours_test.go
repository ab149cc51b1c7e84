package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"taxsms"
)

// TestConsole_OfficeHours sets a branch's working hours on its page; bad
// hours are shown beside the field and change nothing; an operator sees
// the hours but no form.
func TestConsole_OfficeHours(t *testing.T) {
	tc := startConsole(t)
	branch := strconv.FormatInt(tc.users[taxsms.RoleOperator].OfficeID, 10)
	b := tc.browser()
	b.mustSignIn(tc.users[taxsms.RoleCityAdmin].Login)
	page := "/offices/" + branch
	if r := b.get(page); r.Status != http.StatusOK || !strings.Contains(r.Body, "08:30-12:00,13:30-17:30") {
		t.Fatalf("office page = %d, want the default hours shown", r.Status)
	}
	r := b.post(page+"/hours", url.Values{"csrf_token": {b.csrf(page)}, "hours": {"08:00-25:00"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `id="f-hours-error"`) {
		t.Errorf("bad hours = %d, want 400 with the error beside the field", r.Status)
	}
	r = b.post(page+"/hours", url.Values{"csrf_token": {b.csrf(page)}, "hours": {"08:00-11:30, 13:00-17:00"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("hours saved = %d %s", r.Status, errorText(r.Body))
	}
	if r := b.get(page); !strings.Contains(r.Body, "08:00-11:30,13:00-17:00") {
		t.Error("the office page does not show the hours saved")
	}
}

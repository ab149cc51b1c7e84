package web

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"taxsms"
	"taxsms/auth"
)

// listPage is a list page as the console's pages are written, for testing
// the page helpers end to end: a search form, rows, a keyset pager and a
// permission.
const listPage = `{{define "content"}}
<h1>{{t .Title}}</h1>
<form class="search" method="get" action="/test/list" role="search">
  {{template "field" (field .Form "q" "list.search" "search")}}
  <button type="submit" class="primary">{{t "list.search"}}</button>
</form>
<ul>{{range .Data}}<li class="row">{{.Name}}</li>{{else}}{{template "empty"}}{{end}}</ul>
{{template "pager" .List}}
{{end}}`

func TestConsole_ListPage(t *testing.T) {
	tc := startConsole(t)
	ctx := context.Background()
	op := tc.users[taxsms.RoleOperator]
	for i := 1; i <= 5; i++ {
		first := fmt.Sprintf("91370202MA%07d", i)
		must(t, tc.db.CreateTaxpayer(ctx, &taxsms.Taxpayer{Identifier: first + string(taxsms.USCCCheck(first)),
			Name: fmt.Sprintf("青岛海纳%03d贸易有限公司", i), OfficeID: op.OfficeID, AdminID: op.ID,
			Registered: taxsms.Date{Year: 2024, Month: 3, Day: 1}}))
	}
	// The real templates and the test page.
	overlay := fstest.MapFS{"templates/test_list.html": {Data: []byte(listPage)}}
	files, _ := fs.Glob(templateFiles, "templates/*.html")
	for _, f := range files {
		b, _ := fs.ReadFile(templateFiles, f)
		overlay[f] = &fstest.MapFile{Data: b}
	}
	var err error
	if tc.c.tmpl, err = parseTemplates(overlay, tc.c.cat, tc.c.funcs); err != nil {
		t.Fatal(err)
	}
	const size = 2
	mux := http.NewServeMux()
	tc.c.register(mux)
	tc.c.handle(mux, "GET /test/list", auth.PermSendOwn, func(w http.ResponseWriter, r *Request) error {
		f := newForm(r, "q")
		after, err := r.Cursor()
		if err != nil {
			return err
		}
		tps, err := tc.db.ListTaxpayers(r.Context(), taxsms.TaxpayerFilter{NameContains: f.Get("q"), After: after, Limit: size + 1})
		if err != nil {
			return err
		}
		more := len(tps) > size
		if more {
			tps = tps[:size]
		}
		var last int64
		if len(tps) > 0 {
			last = tps[len(tps)-1].ID
		}
		tc.c.render(w, r, http.StatusOK, "test_list", &Page{Title: "list.search", Form: f, Data: tps, List: r.Pager(more, last)})
		return nil
	})
	srv := httptest.NewServer(securityHeaders(mux))
	defer srv.Close()

	b := tc.browser()
	b.base = srv.URL
	b.mustSignIn(op.Login)
	var rows []string
	next := "/test/list?q=" + "海纳"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("the pager does not end")
		}
		r := b.get(next)
		if r.Status != 200 {
			t.Fatalf("GET %s = %d\n%s", next, r.Status, r.Body)
		}
		if !strings.Contains(r.Body, `value="海纳"`) {
			t.Errorf("the search form does not show the query")
		}
		for _, part := range strings.Split(r.Body, `<li class="row">`)[1:] {
			rows = append(rows, part[:strings.Index(part, "<")])
		}
		next = ""
		if i := strings.Index(r.Body, `rel="next"`); i >= 0 {
			href := r.Body[strings.LastIndex(r.Body[:i], `href="`)+6 : i-2]
			next = strings.ReplaceAll(href, "&amp;", "&")
		}
	}
	if len(rows) != 5 || rows[0] != "青岛海纳001贸易有限公司" || rows[4] != "青岛海纳005贸易有限公司" {
		t.Errorf("rows over the pages = %q, want the 5 taxpayers in order", rows)
	}
	if r := b.get("/test/list?q=nobody"); !strings.Contains(r.Body, tc.c.cat.T(LangZH, "list.empty")) {
		t.Errorf("an empty list does not say so")
	}
	if r := b.get("/test/list?after=x"); r.Status != http.StatusBadRequest {
		t.Errorf("a bad page key = %d, want 400", r.Status)
	}
	// The maintainer lacks the page's permission: the 403 page, in the layout.
	m := tc.browser()
	m.base = srv.URL
	m.mustSignIn(tc.users[taxsms.RoleMaintainer].Login)
	if r := m.get("/test/list"); r.Status != http.StatusForbidden || !strings.Contains(r.Body, tc.c.cat.T(LangZH, "error.forbidden")) ||
		!strings.Contains(r.Body, tc.users[taxsms.RoleMaintainer].Name) {
		t.Errorf("maintainer: GET /test/list = %d, want the 403 page in the layout", r.Status)
	}
}
